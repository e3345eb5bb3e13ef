"""See inside the model: a page (served at `/`) with attention, fill-mask, task and embedding
views, and a self-contained attention HTML file. Every script and style is in `static/`; the
page loads nothing from the network. bertviz (Vig 2019), exBERT (Hoover et al. 2020) and the
TensorBoard projector are the references for the views.
"""

from bertkit.explore.attention import AttentionModel
from bertkit.explore.html import write_attention_html
from bertkit.explore.routes import add_page

__all__ = ["AttentionModel", "add_page", "write_attention_html"]
