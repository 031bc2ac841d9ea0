"""The part of modal.exception the fake SDK raises."""


class Error(Exception):
    pass


class NotFoundError(Error):
    pass


class AuthError(Error):
    pass
