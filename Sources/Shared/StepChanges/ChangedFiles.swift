import Foundation

/// Which files changed between two commits: the one rule the `paths:`
/// trigger (host) and the detect-changes plugin share, so that they agree
/// byte for byte.
///
/// - A push compares `base..head` (two dots: what the push brought).
/// - A pull request compares the merge base of base and head with head
///   (what GitHub shows as the pull request's files), so a target branch that
///   moved on since the branch was cut contributes nothing.
/// - A base that is empty or all zeros (a new branch) means every file at head.
/// - Paths are read with `-z`, never in git's quoted form, so a path of any
///   characters (`docs/café.md`) arrives as git stores it.
///
/// The library runs git through a caller-supplied function, so the host can
/// use its process runner and a plugin its own (with cancellation and logs).
public struct ChangedFiles: Sendable, Equatable {
    /// The commit compared with head (the base, or the merge base); nil for a new branch.
    public var from: String?
    /// The changed paths, relative to the repository.
    public var paths: [String]

    /// Runs `git ARGS` in the repository and returns its stdout, or throws with what went wrong.
    public typealias Git = @Sendable (_ arguments: [String]) async throws -> String

    public enum Comparison: Sendable, Equatable {
        /// `base..head`: what a push brought.
        case twoDot
        /// From the merge base of base and head: a pull request's own changes.
        case mergeBase

        /// The comparison for a run's event: `mergeBase` for `pull_request`, else `twoDot`.
        public static func forEvent(_ event: String) -> Comparison { event == "pull_request" ? .mergeBase : .twoDot }
    }

    public init(from: String?, paths: [String]) { self.from = from; self.paths = paths }

    /// A base that means "everything changed": empty, or all zeros (GitHub's base of a new branch).
    public static func isNewBranch(_ base: String) -> Bool { base.isEmpty || base.allSatisfy { $0 == "0" } }

    /// The files changed between `base` and `head` (both commits git knows).
    public static func between(base: String, head: String, comparison: Comparison, git: Git) async throws -> ChangedFiles {
        if isNewBranch(base) {
            return ChangedFiles(from: nil, paths: split(try await git(["ls-tree", "-r", "-z", "--name-only", head])))
        }
        var from = base
        if comparison == .mergeBase {
            from = try await git(["merge-base", base, head]).trimmingCharacters(in: .whitespacesAndNewlines)
        }
        return ChangedFiles(from: from, paths: split(try await git(["diff", "--name-only", "-z", "--no-renames", from, head])))
    }

    /// NUL-separated paths, as `-z` prints them.
    static func split(_ output: String) -> [String] {
        output.split(separator: "\0", omittingEmptySubsequences: true).map(String.init)
    }
}
