"""The messages the interop servers send, the same for every library.

tests/interop/interop_test.cpp builds the same list to check what a client printed.
"""


def counted(size):
    """`size` bytes of "0000000,0000001,...": a lost, doubled or swapped piece shows."""
    return "".join(f"{i:07d}," for i in range(size // 8))


def messages(library):
    return [
        f"hello from {library}",
        counted(64 * 1024),
        "UTF-8: naïve café, Ελληνικά, 日本語, emoji 🎉🚀",
        counted(1024 * 1024),
    ]
