"""Test sites made by real blog software from our own posts (tests/test_sites.py).

Each generator module has ``build(src_dir, out_dir, base_url) -> Path`` (runs the real generator and
returns the folder of HTML), ``post_path(post) -> str`` (where that software puts a post) and
``CHROME``: strings its post pages print outside the post (share links, navigation, sidebars,
footers) that must never end up in an article's stored text.
"""
