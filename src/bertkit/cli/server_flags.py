"""What every command that starts an HTTP server shares, `serve` and `explore`: the flags, and
loading the models into one app that runs until SIGTERM or Ctrl-C."""

import argparse
import sys


def add_server_flags(parser: argparse.ArgumentParser, port: int) -> None:
    """The flags `serve` and `explore` share."""
    parser.add_argument(
        "--model",
        action="append",
        required=True,
        metavar="DIR|NAME=DIR",
        help="a model directory; repeat as NAME=DIR to serve several (requests pick by name)",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on")
    parser.add_argument("--port", type=int, default=port, help=f"port (default: {port})")
    parser.add_argument("--device", help="cpu, cuda, ... (default: cuda when present)")
    parser.add_argument(
        "--dtype",
        choices=("auto", "float32", "bfloat16", "float16", "int8"),
        help="compute precision (default: auto, shown in /info)",
    )
    parser.add_argument(
        "--max-input-length", type=int, help="tokens per input (default: the model's maximum)"
    )


def run_server_from_flags(
    args: argparse.Namespace,
    *,
    ui: bool,
    corpus: str | None = None,
    index: str | None = None,
    announce: bool = False,
    **settings,
) -> int:
    """Load the `--model` directories, build the app (the explorer page at / when `ui`, POST
    /search over `index`, POST /dedup with the encoders), say the page's address when
    `announce`, and serve until stopped.

    Args:
        settings: `ServeSettings` fields beyond the shared flags (batch budget, workers, ...).
    """
    from bertkit.serve import ServeSettings, build_app, load_models, run_server

    config = ServeSettings(
        host=args.host,
        port=args.port,
        max_input_length=args.max_input_length,
        device=args.device,
        dtype=args.dtype,
        **settings,
    )
    models = load_models(args.model, config)
    app = build_app(models, config)
    from bertkit.index.dedup_http import add_dedup_route

    embedders = {n: m.pipelines["embed"] for n, m in models.items() if "embed" in m.pipelines}
    add_dedup_route(app, embedders)  # POST /dedup: near-duplicates with an encoder
    if index:
        from bertkit.index import IndexSearcher
        from bertkit.index.http import add_search_route
        from bertkit.index.searcher import pick_query_model

        name, query_model = pick_query_model(index, {n: m.path for n, m in models.items()})
        searcher = IndexSearcher(
            index, model_dir=query_model, device=config.device, dtype=config.dtype
        )
        _ = searcher.embed  # loaded and checked now, not at the first query
        print(f"search: {index}, queries embedded by {name} ({query_model})", file=sys.stderr)
        add_search_route(app, searcher)
    if ui:
        from bertkit.explore import add_page

        add_page(app, {name: m.path for name, m in models.items()}, corpus, config.device)
    if announce:
        print(f"explorer on http://{config.host}:{config.port}/", file=sys.stderr)
    run_server(app, config.host, config.port)
    return 0
