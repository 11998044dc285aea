"""The HTML report in a real browser (Debian's chromium via Playwright, one launch for the session): it renders the
estimates, the memory breakdown and the curves, sends no request anywhere, and opens no dialog."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from aiwell.sizing import build_setup, size_inference, size_plan
from aiwell.sizing.report import render_html


def _open(browser: Any, html: str, path: Path) -> tuple[Any, list[str], list[str]]:
    path.write_text(html, encoding="utf-8")
    page = browser.new_page()
    requests: list[str] = []
    dialogs: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.goto(path.as_uri())
    return page, requests, dialogs


def test_inference_report_renders_offline(chromium_browser: Any, tmp_path: Path) -> None:
    setup = build_setup(model_name="meta-llama/Llama-3.1-70B", gpu_id="h100-sxm-80gb", gpus=8, vm_name=None,
                        precision_name="fp8", input_tokens=1024, output_tokens=256, concurrency=64)
    page, requests, dialogs = _open(chromium_browser, render_html(size_inference(setup)), tmp_path / "inference.html")
    try:
        assert page.title().startswith("aiwell size: meta-llama/Llama-3.1-70B")
        assert page.locator("table tbody tr").count() >= 5
        assert page.locator(".binding").inner_text() == "memory bandwidth"
        assert page.locator("svg.curve").count() == 3
        assert page.locator("svg.curve polyline").first.get_attribute("points")
        assert page.locator("svg[aria-label='memory breakdown per accelerator'] rect").count() >= 3
        page.screenshot(path=str(tmp_path / "inference.png"), full_page=True)
        assert (tmp_path / "inference.png").stat().st_size > 10_000
    finally:
        page.close()
    assert [r for r in requests if not r.startswith("file://")] == []
    assert dialogs == []


def test_plan_report_renders_every_item(chromium_browser: Any, tmp_path: Path) -> None:
    plan = tmp_path / "plan.yaml"
    plan.write_text("workloads:\n"
                    "  - {name: chat, regime: ptu, model: gpt-4o, deployment: global, rpm: 100, input_tokens: 500, "
                    "output_tokens: 100}\n"
                    "  - {name: too-big, regime: inference, model: meta-llama/Llama-3.1-405B, gpu: l40s-48gb, "
                    "gpus: 2, precision: bf16, input_tokens: 512, output_tokens: 64}\n")
    page, requests, dialogs = _open(chromium_browser, render_html(size_plan(plan)), tmp_path / "plan.html")
    try:
        assert page.locator("h2", has_text="chat:").count() == 1
        assert "Does not fit" in page.locator(".nofit").inner_text()
        page.screenshot(path=str(tmp_path / "plan.png"), full_page=True)
    finally:
        page.close()
    assert [r for r in requests if not r.startswith("file://")] == []
    assert dialogs == []
