"""Warning flags shared by every unibus C++ target (not by generated code)."""

UNIBUS_COPTS = [
    "-Wall",
    "-Wextra",
    "-Werror",
    "-Wno-unused-parameter",
]
