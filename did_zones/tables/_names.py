"""Display names of estimators and analyses in the two table languages.

An estimator's display names are declared in its registry entry
(:attr:`EstimatorSpec.labels <did_zones.estimators.registry.EstimatorSpec.labels>`), so that
a new estimator needs no row here; this module adds the analyses a report shows next to the
estimators. English names are the short ones the tables always used; Chinese names follow
Chinese journals: the method in Chinese, the authors' names in Latin script.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping

from ..validation import check_choice
from ..vocabulary import LANGUAGES

__all__ = ["ESTIMATOR_NAMES", "estimator_name", "column_name", "internal_names",
           "variation_label"]

# diagnostics and analyses shown next to the estimators (estimators: their registry entry)
_ANALYSES: Mapping[str, Mapping[str, str]] = {
    "bacon": {"en": "Goodman-Bacon decomposition", "zh": "Goodman-Bacon 分解"},
    "honest": {"en": "HonestDiD robust intervals", "zh": "HonestDiD 敏感性分析稳健置信区间"},
    "pretrend_power": {"en": "Power of the pre-trend test (Roth 2022)",
                       "zh": "平行趋势检验的统计功效 (Roth 2022)"},
    "placebo": {"en": "Placebo test", "zh": "安慰剂检验"},
    "pretrend": {"en": "Parallel-trends test", "zh": "平行趋势检验"},
    "mediation": {"en": "Mediation", "zh": "中介效应"},
    "robustness": {"en": "Robustness", "zh": "稳健性检验"},
}


class _Names(Mapping):
    """Name -> {"en": ..., "zh": ...}: the registry's estimators (read when asked, so that a
    registered estimator is included), then the analyses."""

    def _estimators(self) -> dict:
        from ..estimators.registry import REGISTRY

        return {n: s.labels for n, s in REGISTRY.items() if s.labels}

    def __getitem__(self, name: str) -> Mapping[str, str]:
        row = self._estimators().get(name)
        return row if row is not None else _ANALYSES[name]

    def __iter__(self) -> Iterator[str]:
        return iter({**self._estimators(), **_ANALYSES})

    def __len__(self) -> int:
        return len({**self._estimators(), **_ANALYSES})


ESTIMATOR_NAMES: Mapping[str, Mapping[str, str]] = _Names()

# column names of frames shown as they are (Bacon weights, HonestDiD, power, tidy()): the
# human header of each internal name, so that no report table shows ``std_error``
_COLUMNS_EN: Mapping[str, str] = {
    "term": "Term", "estimate": "Estimate", "std_error": "SE", "statistic": "Statistic",
    "p_value": "p-value", "conf_low": "CI lower", "conf_high": "CI upper",
    "weight": "Weight", "type": "Comparison", "n_comparisons": "Comparisons",
    "n_obs": "Observations", "n_units": "Units", "n_treated_units": "Treated units",
    "restriction": "Restriction", "m": "M", "method": "Method", "hypothesis": "Hypothesis",
    "target_power": "Target power", "slope": "Slope of the trend", "power": "Power",
    "bayes_factor": "Bayes factor", "likelihood_ratio": "Likelihood ratio",
    "bias_post": "Bias after treatment",
    "bias_post_conditional": "Bias after treatment, given a passed pre-test",
    "kind": "Kind", "name": "Name", "value": "Value", "index": "No.", "group": "Group",
    "target": "Target",
    # cell values
    "relative_magnitude": "Relative magnitudes", "smoothness": "Smoothness",
    "package": "Package", "seed": "Seed",
}

_COLUMNS_ZH: Mapping[str, str] = {
    "term": "项", "estimate": "估计值", "std_error": "标准误", "statistic": "统计量",
    "p_value": "p 值", "conf_low": "置信下限", "conf_high": "置信上限", "weight": "权重",
    "type": "比较类型", "n_comparisons": "比较数", "n_obs": "观测值", "n_units": "城市数",
    "n_treated_units": "处理组城市数", "restriction": "约束", "m": "M", "method": "方法",
    "hypothesis": "假设", "target_power": "目标功效", "slope": "斜率", "power": "功效",
    "bayes_factor": "贝叶斯因子", "likelihood_ratio": "似然比", "bias_post": "处理后偏差",
    "bias_post_conditional": "预检验后的处理后偏差", "kind": "类别", "name": "名称",
    "value": "取值", "index": "序号",
    # cell values
    "Earlier vs Later Treated": "早试点组 vs 晚试点组", "Later vs Earlier Treated":
    "晚试点组 vs 早试点组", "Treated vs Never Treated": "试点组 vs 从未试点组",
    "package": "软件包", "seed": "随机种子", "group": "分组", "target": "目标参数",
    "relative_magnitude": "相对幅度约束", "smoothness": "平滑约束",
}


def estimator_name(name: str, language: str = "en") -> str:
    """The display name of estimator ``name`` (a registry key) in ``language``; names that
    are not in the table are returned unchanged (an estimator without a label in
    ``language`` gets its English one)."""
    language = check_choice("language", language, LANGUAGES)
    row = ESTIMATOR_NAMES.get(name)
    return (row.get(language) or row.get("en") or name) if row else name


def column_name(name: object, language: str = "en") -> str:
    """The human label of an internal column name (or categorical cell) in ``language``;
    names without a label are returned unchanged."""
    text = str(name)
    return (_COLUMNS_ZH if language == "zh" else _COLUMNS_EN).get(text, text)


def internal_names() -> frozenset[str]:
    """Internal column names that a report table must never show (tests use it)."""
    return frozenset(k for k in _COLUMNS_EN if "_" in k) | {"index", "kind"}


# Row labels of did_zones.variations (its terms), in Chinese. The sample trims are the names of
# robustness.variations.DROPS; other labels carry a period, rule, cohort or policy name.
_DROP_ZH = {"municipalities": "直辖市", "provincial_capitals": "省会城市",
            "sub_provincial": "副省级城市", "county_level_zones": "县级试点所在城市",
            "coastal": "沿海城市"}
_TIMING_ZH = {"approval_year": "批复当年", "next_year": "批复次年", "half_year": "半年规则"}
_VARIATION_ZH = (
    (re.compile(r"^baseline$"), lambda m: "基准回归"),
    (re.compile(r"^drop: (\w+)$"),
     lambda m: f"剔除{_DROP_ZH[m[1]]}" if m[1] in _DROP_ZH else None),
    (re.compile(r"^window: (\S+)-(\S+)$"), lambda m: f"样本期 {m[1]}–{m[2]}"),
    (re.compile(r"^timing: (\w+)$"),
     lambda m: f"试点时间：{_TIMING_ZH[m[1]]}" if m[1] in _TIMING_ZH else None),
    (re.compile(r"^leave out cohort (\d+)$"), lambda m: f"剔除 {m[1]} 年批次"),
    (re.compile(r"^control: (.+)$"), lambda m: f"控制其他政策：{m[1]}"),
    (re.compile(r"^drop: (.+) cities$"), lambda m: f"剔除{m[1]}试点城市"),
)


def variation_label(term: str, language: str = "en") -> str:
    """Display label of a :func:`did_zones.variations` term (``"leave out cohort 2016"`` →
    ``"剔除 2016 年批次"`` in Chinese; English labels are the terms themselves).

    Examples
    --------
    >>> variation_label("drop: municipalities", "zh"), variation_label("window: 2012-2021", "zh")
    ('剔除直辖市', '样本期 2012–2021')
    """
    if check_choice("language", language, LANGUAGES) == "en":
        return term
    for pattern, make in _VARIATION_ZH:
        m = pattern.match(term)
        if m is not None and (text := make(m)) is not None:
            return text
    return term
