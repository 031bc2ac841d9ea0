import sys

# Reverses its input.
print(sys.stdin.read()[::-1])
