"""Intent patterns in English and Chinese, checked in order: the first match wins."""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Intent:
    name: str
    english: re.Pattern[str]
    chinese: re.Pattern[str]

    def matches(self, text: str) -> bool:
        return bool(self.english.search(text) or self.chinese.search(text))


def _intent(name: str, english: str, chinese: str) -> Intent:
    return Intent(name, re.compile(english, re.IGNORECASE), re.compile(chinese))


# Order matters: specific actions before general questions, mutations before reads that
# share words ("roll back" before "production"), and search last.
INTENTS: tuple[Intent, ...] = (
    _intent("help", r"^\s*(help|what can you do|how do i use)\b", r"^\s*(帮助|你能做什么|怎么用)"),
    _intent("add_note", r"^\s*(add a )?note (on|for|about)\b", r"^\s*(备注|记录一下|添加备注)"),
    _intent(
        "who_changed",
        r"\bwho\b.*\b(roll(ed)?[ -]?back|changed|moved|promoted|deployed|approved|archived|registered|triggered)|\baudit\b",
        r"谁.*(回滚|修改|改了|移动|上线|部署|批准|归档|注册|触发)|审计",
    ),
    _intent(
        "rollback",
        r"\broll(ing)?[ -]?back\b|\brollback\b|\brevert\b",
        r"回滚|回退|退回到?上一个版本",
    ),
    _intent("approve_promotion", r"\bapprove\b", r"批准|同意.*(申请|上线)"),
    _intent("reject_promotion", r"\breject\b|\bdecline\b", r"驳回|拒绝.*申请"),
    _intent(
        "request_promotion",
        r"\b(request|ask for)\b.*\bpromot|\bpromote\b",
        r"申请.*(上线|晋升|提升|发布)|晋升|提升到",
    ),
    _intent("archive", r"\barchive\b", r"归档"),
    _intent(
        "register_version",
        r"\bregister\b.*\brun\b|\bregister\b.*\bas\b.*\bmodel\b",
        r"注册.*(运行|run)|把.*注册为",
    ),
    _intent(
        "set_alias",
        r"\b(set|move|point|assign)\b.*\b(alias|production|staging|champion|challenger)\b|\bdeploy\b.*\bv(ersion)?\s*\d|\btag\b.*\bas\b.*\b(production|staging|champion|challenger)",
        r"(设置|移动|指向|设为|部署).*(别名|生产|预发|冠军)|把.*(部署|设为|上线)",
    ),
    _intent("acknowledge_alert", r"\b(ack|acknowledge)\b", r"确认.*告警|知悉.*告警"),
    # "retrain" inside a pipeline name ("fraud-retrain") and "when did run X start" are not
    # requests to start anything: a bare start/launch needs a pipeline or training after it.
    _intent(
        "trigger_pipeline",
        r"(?<![\w-])re-?train\b(?!-)|\btrigger\b|\bkick off\b|\b(launch|start)\b.*\b(pipeline|training|retrain(ing)?)\b|\brun\b.*\bpipeline\b(?!\s+runs?\b)",
        r"重新训练|重训|触发|启动.*(流水线|管道)|运行.*(流水线|管道)",
    ),
    _intent(
        "explain_failure",
        r"\bwhy\b.*\bfail|\bwhat went wrong\b|\bfailure\b.*\b(pipeline|run)\b|\bpipeline\b.*\bfail",
        r"为什么.*失败|失败.*原因|出了什么问题",
    ),
    _intent("pipeline_status", r"\bpipelines?\b", r"流水线|管道"),
    _intent("drift", r"\bdrift(ing|ed)?\b|\bdistribution shift\b", r"漂移|分布变化|分布偏移"),
    _intent(
        "latency",
        r"\blatency\b|\bp(50|90|95|99)\b|\bresponse time\b|\brequest volume\b|\btraffic\b|\bthroughput\b|\berror rate\b",
        r"延迟|响应时间|请求量|流量|吞吐|错误率",
    ),
    _intent(
        "health",
        r"\bhealth(y)?\b|\bhow is\b.*\bdoing\b|\bstatus of\b.*\bmodel\b",
        r"健康|状况|运行情况|状态怎么样",
    ),
    _intent("alerts", r"\balerts?\b|\balarms?\b", r"告警|报警|警报"),
    _intent(
        "dataset_lineage",
        r"\bwhich models?\b.*\b(trained|use[sd]?)\b.*\bdata|\btrained on\b",
        r"哪些模型.*(训练|使用)|用.*数据集训练",
    ),
    _intent(
        "compare_datasets",
        r"\bcompare\b.*\bdataset|\bdataset\b.*\b(changed|diff)",
        r"比较.*数据集|数据集.*(变化|差异)",
    ),
    _intent(
        "dataset",
        r"\bdatasets?\b|\bdata quality\b|\bprofile\b|\bschema\b",
        r"数据集|数据质量|数据画像",
    ),
    _intent(
        "knowledge",
        r"\bwhy did (we|they|you)\b|\blimitations?\b|\bmodel cards?\b|\bnotes?\b|\bdocument(ed|ation)?\b|\bbias(es)?\b|\bknown issues?\b|\bwhat (do|does) the (docs|card)\b|\bintended (use|for)\b|\bcaveats?\b|\bethic",
        r"为什么.*(换|改|选|用)|局限|限制|模型卡|笔记|文档|偏差|偏见|已知问题|注意事项|适用范围|用途",
    ),
    _intent(
        "alias_history",
        r"\bwhich version\b.*\b(was|were|in)\b|\balias history\b|\bhistory of\b.*\b(production|staging|alias)|\bon \d{1,2} \w+|\bwas in production\b",
        r"哪个版本.*(在|是)|别名历史|生产.*历史",
    ),
    _intent(
        "deployment_history",
        r"\bdeployment history\b|\bdeploy(ment)?s? (log|history)\b|\bwhen (was|were)\b.*\bdeployed\b",
        r"部署历史|部署记录",
    ),
    _intent(
        "deployments",
        r"\bin production\b|\bdeployed\b|\bdeployments?\b|\bwhat('s| is) (live|serving)\b",
        r"生产环境|线上|部署|在线",
    ),
    _intent(
        "compare",
        r"\bcompare\b|\bdiff(erence|ers?)?\b|\bvs\.?\b|\bversus\b|\bside by side\b",
        r"比较|对比|区别|差异|不同",
    ),
    _intent(
        "metric_history",
        r"\b(history|curve|trend|over (the )?epochs?|per epoch|learning curve)\b",
        r"曲线|历史|趋势|每个epoch",
    ),
    _intent("best_per_experiment", r"\b(each|every|per) experiment\b", r"每个实验"),
    _intent(
        "list_versions",
        r"\bversions? of\b|\ball versions\b|\bwhich versions\b|\blist versions\b",
        r"(有)?哪些版本|所有版本|版本列表",
    ),
    _intent(
        "version_detail",
        r"\b(dependenc(y|ies)|structure|architecture|training script|lineage|details?)\b",
        r"依赖|结构|训练脚本|血缘|详情|详细信息",
    ),
    _intent(
        "list_models",
        r"\b(registered )?models\b.*\b(exist|have|list|registered|latest)|\blist (the )?models\b|\bwhat models\b|\bwhich models\b|\bregistered models\b|\blatest versions?\b",
        r"(有哪些|列出|所有).*模型|模型列表|注册的模型|已注册|最新版本",
    ),
    _intent("experiments", r"\bexperiments?\b", r"实验"),
    _intent("whoami", r"\bwho am i\b|\bmy role\b", r"我是谁|我的角色"),
    # A request for users' passwords or keys is not a request to list users.
    _intent(
        "list_users",
        r"^(?!.*\b(passwords?|secrets?|keys?|tokens?)\b).*(\b(list|show|which|who are)\b.*\busers\b|\busers of\b)",
        r"^(?!.*(密码|密钥|口令|令牌)).*((有哪些|列出|所有|哪些).*用户|用户列表)",
    ),
    _intent(
        "search",
        r"\b(best|top|worst|highest|lowest|rank|runs?|results?|most accurate|fastest|leaderboard|trained|find|show)\b",
        r"最好|最佳|最高|最低|排名|运行|效果|表现|训练|查找|找|前\d+|哪个.*模型|准确率|结果",
    ),
)

CONFIRM_WORDS = re.compile(
    r"^\s*(yes|y|confirm|confirmed|go ahead|do it|ok|okay|sure|确认|是的|好的|执行|可以)\s*[.!。！]?\s*$",
    re.IGNORECASE,
)
CANCEL_WORDS = re.compile(
    r"^\s*(no|n|cancel|stop|abort|never ?mind|取消|不要|算了|不)\s*[.!。！]?\s*$", re.IGNORECASE
)
FOLLOW_UP = re.compile(
    r"^\s*(and|what about|how about|same for|and for|then|ok and)\b|^\s*(那|那么|还有|再看看)|呢[？?]?\s*$",
    re.IGNORECASE,
)
IT_REFERENCE = re.compile(
    r"\b(it|that one|this one|that model|the same model)\b|它|这个模型|那个模型", re.IGNORECASE
)


def detect_intent(text: str) -> str | None:
    for intent in INTENTS:
        if intent.matches(text):
            return intent.name
    return None
