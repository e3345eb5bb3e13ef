"""`bertkit attention --html out.html`: one self-contained file with the attention views.

The page's own `attention.js` and `style.css` are inlined with the data, so the file opens
offline, in a notebook's iframe, or attached to a message.
"""

import html
import json
from pathlib import Path

from bertkit.explore.attention import AttentionModel
from bertkit.explore.routes import static_text
from bertkit.files import atomic_path

TEMPLATE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<style>{style}</style></head>
<body><main><div class="panel"><h2>{title}</h2><div id="attention"></div></div></main>
<script>{script}</script>
<script>BertkitAttention.render(document.getElementById("attention"), {data});</script>
</body></html>
"""

DEFAULT_MAX_TOKENS = 128  # 128 x 128 x heads x layers stays a few MB of HTML


def write_attention_html(
    model_dir: str | Path,
    text: str,
    out: str | Path,
    pair: str | None = None,
    max_tokens: int = DEFAULT_MAX_TOKENS,
) -> dict:
    """Compute the attention of `text` (and `pair`) and write the views to `out`; the data."""
    data = AttentionModel(model_dir)(text, pair, max_tokens, decimals=4)
    # "</" would end the inline script early; JSON allows it escaped.
    payload = json.dumps(data, separators=(",", ":")).replace("</", "<\\/")
    page = TEMPLATE.format(
        title=html.escape(f"Attention: {Path(model_dir).name}"),
        style=static_text("style.css"),
        script=static_text("attention.js"),
        data=payload,
    )
    with atomic_path(Path(out)) as tmp:
        Path(tmp).write_text(page, encoding="utf-8")
    return data
