"""Managed models on provisioned throughput (Azure OpenAI and Foundry Models): input-equivalent tokens per minute,
PTUs rounded to the deployment type's minimum and increment, the pay-as-you-go cost of the same traffic, the
break-even utilisation, and the recommended spillover deployment."""

from __future__ import annotations

import math
from typing import Any

from aiwell.errors import UsageError
from aiwell.sizing.estimate import Factors, Range, builtin_factors, document, estimate
from aiwell.sizing.loadtest import ptu_command
from aiwell.sizing.prices import HOURS_PER_MONTH, PriceSheet
from aiwell.sizing.tables import ceil_to, managed_meta, managed_model

DEPLOYMENT_TYPES = ("global", "data-zone", "regional")
SKU_NAMES = {"global": ("GlobalProvisionedManaged", "GlobalStandard"),
             "data-zone": ("DataZoneProvisionedManaged", "DataZoneStandard"),
             "regional": ("ProvisionedManaged", "Standard")}


def size_ptu(*, model_name: str, deployment: str, rpm: float, input_tokens: int, output_tokens: int,
             cached_share: float = 0.0, factors: Factors | None = None, prices: PriceSheet | None = None,
             deployment_name: str | None = None) -> dict[str, Any]:
    """The `aiwell.size/1` document for a provisioned-throughput deployment of `model_name`."""
    factors = factors or builtin_factors()
    managed = managed_model(model_name)
    if deployment not in DEPLOYMENT_TYPES:
        raise UsageError(f"unknown deployment type: {deployment}. Known: {', '.join(DEPLOYMENT_TYPES)}")
    sizes = managed.deployments.get(deployment)
    if sizes is None:
        offered = [k for k, v in managed.deployments.items() if v]
        raise UsageError(f"{managed.name} has no {deployment} provisioned deployment; offered: {', '.join(offered)}")
    if rpm <= 0:
        raise UsageError("--rpm must be positive")
    if input_tokens < 0 or output_tokens < 0:
        raise UsageError("token counts must be 0 or more")
    if not 0 <= cached_share <= 1:
        raise UsageError("--cached-share is a share between 0 and 1")
    minimum, increment = sizes
    meta = managed_meta()
    calibrated = managed.name in factors.ptu_tpm_per_ptu
    tpm_per_ptu = factors.ptu_tpm_per_ptu.get(managed.name, managed.tpm_per_ptu)
    weight = managed.output_weight
    converted = rpm * (input_tokens * (1 - cached_share) + weight * output_tokens)
    raw = converted / tpm_per_ptu
    band = factors.ptu_shape.apply(raw).sorted()
    rounded = Range(ceil_to(band.p10, minimum, increment), ceil_to(band.p50, minimum, increment),
                    ceil_to(band.p90, minimum, increment))
    inputs = {"model": managed.name, "deployment": deployment, "rpm": rpm, "input_tokens": input_tokens,
              "output_tokens": output_tokens, "cached_share": cached_share}
    estimates: dict[str, Any] = {
        "ptu": estimate(rounded, "PTU", "calibrated",
                        f"rounded to the {deployment} minimum {minimum} and increment {increment}"),
        "ptu_formula": estimate(Range.exact(raw), "PTU", "formula", "converted input TPM ÷ input TPM per PTU, "
                                "before rounding", digits=6),
        "ptu_unrounded": estimate(band, "PTU", "calibrated"),
        "input_equivalent_tpm": estimate(Range.exact(converted), "tokens/min", "formula",
                                         f"input × (1 − cached share) + {weight:g} × output, per minute"),
    }
    assumptions = [
        f"{managed.name}: {tpm_per_ptu:,.0f} input TPM per PTU"
        + (" (measured on your deployment by `aiwell size calibrate`)" if calibrated else
           f" and one output token = {weight:g} input tokens (table revision {meta['revision']})"),
        "cached input tokens are deducted 100% from utilisation",
        f"p10–p90 spread ×{factors.ptu_shape.p10:.2f}–×{factors.ptu_shape.p90:.2f} of the formula: "
        + ("the spread of your load-test runs" if calibrated else
           "how far the published azure-openai-benchmark scenarios (gpt-4 era) sit from one linear constant: "
           "throughput per PTU depends on the call shape"),
        f"latency target of the deployment type: {managed.latency_target}" if managed.latency_target else "",
        *managed.notes,
    ]
    sources = [meta["source"], "Azure/azure-openai-benchmark README scenarios (spread of PTU per call shape)"]
    price_per_ptu_hour = (prices.ptu.get(deployment) if prices and deployment in prices.ptu
                          else meta["ptu_price_per_hour"].get(deployment))
    currency = prices.currency if prices else "USD"
    if price_per_ptu_hour is not None:
        sources.append(prices.source if prices and deployment in prices.ptu else meta["ptu_price_source"])
        monthly = rounded.scale(price_per_ptu_hour * HOURS_PER_MONTH)
        estimates["ptu_monthly_cost"] = estimate(monthly, currency, "calibrated",
                                                 f"{price_per_ptu_hour:g} per PTU-hour × {HOURS_PER_MONTH} hours, "
                                                 "hourly billing (reservations cost less)")
    payg = (prices.tokens.get(managed.name) if prices and managed.name in prices.tokens else managed.payg)
    if payg:
        per_minute = rpm * (input_tokens * (1 - cached_share) * payg["input"]
                            + input_tokens * cached_share * payg.get("cached", payg["input"])
                            + output_tokens * payg["output"]) / 1e6
        payg_monthly = per_minute * 60 * HOURS_PER_MONTH
        estimates["payg_monthly_cost_at_peak"] = estimate(Range.exact(payg_monthly), currency, "formula",
                                                          "the peak traffic sent all month at pay-as-you-go prices")
        if price_per_ptu_hour is not None and payg_monthly > 0:
            ptu_monthly = rounded.scale(price_per_ptu_hour * HOURS_PER_MONTH)
            estimates["break_even_utilization"] = estimate(ptu_monthly.scale(1 / payg_monthly), "ratio", "calibrated",
                                                           "average traffic as a share of this peak above which the "
                                                           "PTUs cost less than pay-as-you-go")
        sources.append(prices.source if prices and managed.name in prices.tokens
                       else "Azure OpenAI / Foundry Models pricing pages, global standard (USD, 2025)")
    else:
        assumptions.append(f"no pay-as-you-go price for {managed.name}: pass --prices for the break-even")
    provisioned_sku, standard_sku = SKU_NAMES[deployment]
    capacity = int(rounded.p50)
    need_p90 = band.p90
    overflow_share = max(0.0, 1 - capacity / need_p90) if need_p90 else 0.0
    actual_tpm = rpm * (input_tokens + output_tokens)
    spill_tpm = overflow_share * actual_tpm
    recommendation = {
        "deployment": {"name": deployment_name, "sku": {"name": provisioned_sku, "capacity": capacity}},
        "spillover": {"sku": {"name": standard_sku, "capacity": max(1, math.ceil(spill_tpm / 1000))},
                      "overflow_share_at_p90": round(overflow_share, 4),
                      "note": "a standard (pay-as-you-go) deployment of the same model as the spillover target "
                              "(x-ms-spillover-deployment), sized in thousands of TPM for the p90 overflow"},
    }
    binding = "minimum_deployment" if band.p50 < minimum else "throughput"
    return document("ptu", inputs, estimates, fits=True, min_gpus=None, binding=binding,
                    assumptions=[a for a in assumptions if a], sources=sources, recommendation=recommendation,
                    load_test=ptu_command(deployment=deployment_name or managed.name, rpm=rpm,
                                          input_tokens=input_tokens, output_tokens=output_tokens))


__all__ = ["DEPLOYMENT_TYPES", "SKU_NAMES", "size_ptu"]
