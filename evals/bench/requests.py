"""The fixed 50 requests of the planner benchmark, in English and Chinese.

They cover run search, comparison, the registry, monitoring, pipelines and knowledge, and name
the workspace's real models, runs and pipelines, so the rules planner plans tool calls instead
of clarifying questions. Two are mutations and stop at the confirmation request.
"""

from __future__ import annotations

from evals.bench.generate import Workspace

REQUESTS: tuple[str, ...] = (
    "best fraud model in the last 3 months",
    "top 5 runs by f1 for churn last month",
    "show failed runs this week",
    "best image classifier by accuracy in the last 6 months",
    "which run had the lowest val_loss in experiment {experiment}?",
    "compare run {run1} and run {run2}",
    "val_loss curve of run {run1}",
    "best run per experiment by roc_auc for fraud",
    "list experiments for sentiment analysis",
    "which models are registered?",
    "list versions of {model}",
    "what is in production for {model}?",
    "history of the production alias of {model}",
    "which version of {model} was in production on 1 October?",
    "deployment history of {model} last month",
    "is there drift in {monitored} over the last 30 days?",
    "p95 latency of {monitored} over the last 30 days",
    "is {monitored} healthy?",
    "any open alerts?",
    "status of the {pipeline} pipeline",
    "why did the {pipeline} pipeline fail?",
    "failed pipeline runs last month",
    "roll back {model} to the previous version",
    "what are the known limitations of the fraud model?",
    "who am I?",
    "最近三个月最好的欺诈检测模型",
    "上个月流失预测 f1 前5的运行",
    "本周失败的运行",
    "比较运行 {run1} 和 {run2}",
    "运行 {run1} 的 val_loss 曲线",
    "每个实验中 roc_auc 最好的运行",
    "有哪些图像分类实验",
    "列出所有注册的模型",
    "{model} 有哪些版本",
    "{model} 的别名历史",
    "{model} 在10月1日哪个版本在生产",
    "{model} 的部署历史",
    "{monitored} 最近30天有没有数据漂移",
    "{monitored} 最近30天的延迟",
    "{monitored} 的健康状况",
    "有哪些告警",
    "{pipeline} 流水线的状态",
    "{pipeline} 为什么失败",
    "上个月失败的流水线",
    "把 {model} 回滚到上一个版本",
    "欺诈模型有哪些已知问题",
    "我是谁",
    "最近一个月最好的情感分析模型",
    "回归模型 rmse 最低的运行",
    "推荐系统 ndcg_at_10 最高的前3个运行",
)


def requests_for(workspace: Workspace) -> list[str]:
    """Fill the requests with the workspace's names."""
    names = {
        "experiment": workspace.experiment_sample[0],
        "run1": workspace.compare_runs[0],
        "run2": workspace.compare_runs[-1],
        "model": workspace.busiest_model,
        "monitored": workspace.monitored_model,
        "pipeline": workspace.pipelines[0] if workspace.pipelines else "fraud-detector-retrain",
    }
    return [request.format(**names) for request in REQUESTS]
