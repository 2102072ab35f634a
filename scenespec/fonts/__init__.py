"""Fonts for any script: `scene.font` with fallbacks, fonts found for uncovered characters, one warning per text.

A scene's texts are drawn with the families `scene.font` names (or the style's), then with installed fonts that
cover what those lack (`plan.py`, through matplotlib's font fallback); a character no installed font has is one
warning per text (`check.py`), naming the spec key and the font package to install (`scripts.py`). `texts.py`
finds the texts, `installed.py` the fonts and their characters, `mathtext.py` what math texts lack, and
`matplotlibrc.py` reads the user's matplotlibrc font settings. See docs/fonts.md.
"""
