#!/usr/bin/env bash
# `make pdf` (scripts/build_pdf.py) and tests/test_pdf.py need TeX Live from Debian and
# poppler-utils (pdftoppm, pdftotext, pdfimages). Install what is missing when we can (root with
# apt-get, as in CI); otherwise print the one line to run and fail.
#
# The engine is LuaLaTeX (texlive-luatex): the chapters' code, outputs and docstrings hold Unicode
# (θ, λ, ‖, ∇, subscripts, combining accents) that pdfLaTeX cannot typeset. Fonts: TeX Gyre
# Termes/Heros as OpenType (fonts-texgyre) for the text, DejaVu (fonts-dejavu-core) for code and as
# the fallback for the symbols TeX Gyre lacks. Debian's "recommended" extras (Java, Ruby, ...) are
# not needed: about 350 MB installed.
PACKAGES="texlive-latex-recommended texlive-latex-extra texlive-fonts-recommended tex-gyre texlive-plain-generic texlive-luatex fonts-texgyre fonts-dejavu-core latexmk poppler-utils"
LINE="sudo apt-get install -y --no-install-recommends $PACKAGES"

# What the build uses: the commands, and the LaTeX files that come from the packages above.
COMMANDS="lualatex latexmk kpsewhich pdftoppm pdftotext pdfimages pdfinfo"
TEX_FILES="luaotfload.sty fontspec.sty newunicodechar.sty polyglossia.sty fncychap.sty tabulary.sty titlesec.sty needspace.sty"
# Font files as LuaLaTeX finds them (luaotfload's database covers TeX's and the system's fonts).
FONTS="texgyretermes-regular.otf texgyreheros-regular.otf DejaVuSansMono.ttf DejaVuSerif.ttf DejaVuSans.ttf"

missing() {
    local m=""
    for c in $COMMANDS; do
        command -v "$c" >/dev/null 2>&1 || m="$m $c"
    done
    if command -v kpsewhich >/dev/null 2>&1; then
        for f in $TEX_FILES; do
            [ -n "$(kpsewhich "$f" 2>/dev/null)" ] || m="$m $f"
        done
    fi
    if command -v luaotfload-tool >/dev/null 2>&1; then
        for f in $FONTS; do
            luaotfload-tool --find="$f" 2>&1 | grep -q "found!" || m="$m $f"
        done
    fi
    echo "$m"
}

gone="$(missing)"
if [ -z "$gone" ]; then
    exit 0
fi
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "installing TeX Live and poppler-utils for the PDF (missing:$gone)"
    echo "  apt-get install -y --no-install-recommends $PACKAGES"
    if apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
            --no-install-recommends $PACKAGES >/dev/null; then
        gone="$(missing)"
        if [ -z "$gone" ]; then
            exit 0
        fi
    fi
    echo "error: could not install TeX Live for the PDF (still missing:$gone)" >&2
    exit 1
fi
echo "error: the PDF needs TeX Live and poppler-utils (missing:$gone); run: $LINE" >&2
exit 1
