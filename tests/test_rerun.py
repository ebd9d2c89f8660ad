"""rerun: a result's specification estimated again reproduces it exactly on the same panel."""

import numpy as np
import pytest

import did_zones as dz
from did_zones.robustness import rerun

pytestmark = pytest.mark.filterwarnings("ignore::did_zones.errors.DidZonesWarning")


@pytest.fixture(scope="module")
def panel():
    sim = dz.simulate_pilot_panel(seed=4)
    return dz.build_panel(sim.data, unit="city_code", time="year", cohort="cohort")


FITS = {
    "twfe": lambda p: dz.twfe(p, "isu", controls=["lnpop"]),
    "event_study": lambda p: dz.event_study(p, "isu", window=(-3, 3)),
    "callaway_santanna": lambda p: dz.callaway_santanna(p, "isu", control="not_yet"),
    "cs_event": lambda p: dz.aggregate(dz.callaway_santanna(p, "isu"), kind="event",
                                       window=(-3, 3)),
    "cs_simple": lambda p: dz.aggregate(dz.callaway_santanna(p, "isu"), kind="simple"),
    "sun_abraham": lambda p: dz.sun_abraham(p, "isu"),
    "imputation": lambda p: dz.imputation(p, "isu", window=(-2, 2)),
    "did2s": lambda p: dz.did2s(p, "isu"),
    "dcdh": lambda p: dz.dcdh(p, "isu", window=(-2, 2)),
    "bacon": lambda p: dz.bacon_decomposition(p, "isu"),
}


@pytest.mark.parametrize("name", list(FITS))
def test_rerun_on_same_panel_is_identical(panel, name):
    res = FITS[name](panel)
    again = rerun(res, panel)
    assert again.terms == res.terms
    np.testing.assert_allclose(again.estimate, res.estimate, rtol=1e-12, atol=0)
    np.testing.assert_allclose(again.vcov, res.vcov, rtol=1e-10, atol=1e-300)
    assert dict(again.spec) == dict(res.spec) or name in {"cs_event"}


def test_overrides_and_other_panel(panel):
    res = dz.twfe(panel, "isu")
    with_controls = rerun(res, panel, controls=("lnpop",))
    direct = dz.twfe(panel, "isu", controls=("lnpop",))
    assert with_controls["treated"] == pytest.approx(direct["treated"], rel=1e-12)
    short = panel.window(2013, 2021)
    assert rerun(res, short)["treated"] == pytest.approx(dz.twfe(short, "isu")["treated"],
                                                          rel=1e-12)
    assert rerun(res, panel, "s3")["treated"] == pytest.approx(dz.twfe(panel, "s3")["treated"],
                                                               rel=1e-12)


def test_bad_overrides(panel):
    res = dz.twfe(panel, "isu")
    with pytest.raises(dz.SpecificationError, match=r"Unknown option\(s\) \['n_boot'\] for twfe"):
        rerun(res, panel, n_boot=9)
    fake = dz.Result.create([1.0], np.eye(1), ["x"], method="my_method", outcome="isu",
                            spec={}, n_obs=1, n_units=1)
    with pytest.raises(dz.SpecificationError, match="Cannot rerun a 'my_method' result"):
        rerun(fake, panel)


def test_subpackage_attribute():
    assert dz.robustness.rerun is rerun and dz.rerun is rerun
