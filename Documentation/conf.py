# SPDX-License-Identifier: GPL-2.0
# Sphinx configuration for rvnet's Documentation/ (built by `make docs` and
# checked by `make check` with the distribution's Sphinx, warnings as
# errors).
project = "rvnet"
copyright = "rvnet developers, GPL-2.0"
root_doc = "index"
master_doc = "index"
exclude_patterns = ["tools", "netlink/specs"]
html_theme = "alabaster"
highlight_language = "none"
