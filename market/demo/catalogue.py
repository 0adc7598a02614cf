"""The fixed cast of the demo programme: agencies, vendors, skills and the kinds of work agencies order.

The agencies are public bodies named after real Guizhou institutions, because the programme is
about their demand; every firm is fictional (names, seats, quality), so that no real company is
shown as suspended or as having missed a deadline. Places follow the news reports on Guizhou's
annotation industry: 观山湖区小兰山 and 贵安新区 (Guiyang/Gui'an), 万山数智产业园 and 碧江区
(Tongren), 惠水县百鸟河数字小镇 and 都匀市 (Qiannan).
"""

from __future__ import annotations

from dataclasses import dataclass

# Administrative division codes (GB/T 2260), characters 3-8 of a firm's credit code, by county.
# Gui'an New Area is not a division of its own; its firms here register under Guiyang (520100).
DIVISIONS = {
    ("贵州省", "贵阳市", "南明区"): "520102",
    ("贵州省", "贵阳市", "云岩区"): "520103",
    ("贵州省", "贵阳市", "花溪区"): "520111",
    ("贵州省", "贵阳市", "乌当区"): "520112",
    ("贵州省", "贵阳市", "白云区"): "520113",
    ("贵州省", "贵阳市", "观山湖区"): "520115",
    ("贵州省", "贵阳市", "贵安新区"): "520100",
    ("贵州省", "铜仁市", "碧江区"): "520602",
    ("贵州省", "铜仁市", "万山区"): "520603",
    ("贵州省", "黔南布依族苗族自治州", "都匀市"): "522701",
    ("贵州省", "黔南布依族苗族自治州", "福泉市"): "522702",
    ("贵州省", "黔南布依族苗族自治州", "荔波县"): "522722",
    ("贵州省", "黔南布依族苗族自治州", "惠水县"): "522731",
    ("重庆市", "重庆市", "沙坪坝区"): "500106",
    ("重庆市", "重庆市", "渝北区"): "500112",
    ("四川省", "成都市", "武侯区"): "510107",
    ("四川省", "成都市", "双流区"): "510116",
}

# The first two characters of a credit code: who registered the body and what it is.
REGISTRAR_GOVERNMENT = "11"  # 机构编制 / 机关
REGISTRAR_INSTITUTION = "12"  # 机构编制 / 事业单位 (a public hospital)
REGISTRAR_COMPANY = "91"  # 市场监督管理 / 企业


@dataclass(frozen=True)
class Skill:
    """One (modality, annotation type) pair, its billing unit and the market's usual ranges."""

    modality: str
    annotation_type: str
    unit: str
    throughput: tuple[float, float]  # units per seat-day
    price: tuple[float, float]  # CNY per unit

    @property
    def key(self) -> tuple[str, str]:
        return (self.modality, self.annotation_type)


SKILLS = {
    skill.key: skill
    for skill in (
        Skill("image", "bbox", "box", (700, 1400), (0.06, 0.18)),
        Skill("image", "polygon", "box", (250, 500), (0.25, 0.60)),
        Skill("image", "segmentation", "item", (50, 120), (1.8, 4.5)),
        Skill("image", "classification", "item", (1500, 3000), (0.02, 0.06)),
        Skill("image", "keypoint", "item", (200, 400), (0.30, 0.80)),
        Skill("video", "tracking", "frame", (300, 700), (0.35, 0.90)),
        Skill("video", "classification", "item", (200, 400), (0.50, 1.50)),
        Skill("point_cloud", "cuboid_3d", "point_cloud_frame", (35, 90), (3.5, 9.0)),
        Skill("point_cloud", "segmentation", "point_cloud_frame", (15, 40), (8.0, 20.0)),
        Skill("audio", "transcription", "audio_minute", (60, 140), (1.8, 4.5)),
        Skill("audio", "classification", "item", (800, 1500), (0.05, 0.15)),
        Skill("text", "ner", "kchar", (40, 90), (6.0, 15.0)),
        Skill("text", "relation", "kchar", (25, 60), (10.0, 25.0)),
        Skill("text", "classification", "item", (1200, 2500), (0.03, 0.10)),
        Skill("text", "qa_pair", "item", (60, 150), (2.5, 7.0)),
        Skill("medical_image", "segmentation", "item", (25, 60), (10.0, 30.0)),
        Skill("medical_image", "classification", "item", (300, 700), (0.8, 2.5)),
        Skill("medical_image", "bbox", "box", (150, 350), (0.8, 2.2)),
        Skill("medical_image", "keypoint", "item", (80, 200), (1.5, 4.0)),
        Skill("remote_sensing", "segmentation", "item", (20, 50), (12.0, 30.0)),
        Skill("remote_sensing", "bbox", "box", (400, 900), (0.15, 0.40)),
    )
}

# What a firm of each specialisation can do; a vendor has one or more.
PROFILES = {
    "traffic_vision": [("image", "bbox"), ("image", "classification"), ("video", "tracking"),
                       ("image", "segmentation")],
    "autonomous_driving": [("point_cloud", "cuboid_3d"), ("point_cloud", "segmentation"),
                           ("image", "bbox"), ("video", "tracking")],
    "general_vision": [("image", "bbox"), ("image", "polygon"), ("image", "classification"),
                       ("image", "keypoint"), ("video", "classification")],
    "medical": [("medical_image", "segmentation"), ("medical_image", "classification"),
                ("medical_image", "bbox"), ("medical_image", "keypoint")],
    "clinical_text": [("text", "ner"), ("text", "relation"), ("text", "qa_pair")],
    "speech": [("audio", "transcription"), ("audio", "classification")],
    "text": [("text", "ner"), ("text", "classification"), ("text", "qa_pair"), ("text", "relation")],
    "remote_sensing": [("remote_sensing", "segmentation"), ("remote_sensing", "bbox"),
                       ("image", "segmentation")],
    "education": [("audio", "transcription"), ("video", "classification"), ("text", "classification"),
                  ("image", "polygon"), ("text", "qa_pair")],
}


@dataclass(frozen=True)
class OperatorSpec:
    name: str
    province: str
    city: str
    county: str | None
    description: str


OPERATOR = OperatorSpec(
    name="贵州省大数据发展管理局（数据标注产业服务平台）",
    province="贵州省", city="贵阳市", county=None,
    description="省级数据标注产业服务平台运营方：编制公共数据标注需求目录，核验标注企业资质，"
                "组织供需匹配并对匹配结果逐项审批。",
)


@dataclass(frozen=True)
class AgencySpec:
    key: str
    name: str
    province: str
    city: str
    county: str | None
    division: str  # the body's own level: a provincial department carries 520000
    registrar: str
    sectors: tuple[str, ...]
    email: str
    user_name: str
    description: str


AGENCIES = (
    AgencySpec("gz_transport", "贵州省交通运输厅", "贵州省", "贵阳市", None, "520000", REGISTRAR_GOVERNMENT,
               ("transport",), "agency@demo.market.cn", "王建华",
               "负责全省公路、水路交通运输行业管理，建设智慧交通与路网监测数据体系。"),
    AgencySpec("gz_traffic_police", "贵州省公安厅交通管理局", "贵州省", "贵阳市", None, "520000", REGISTRAR_GOVERNMENT,
               ("transport",), "traffic-police@demo.market.cn", "杨帆",
               "负责全省道路交通安全管理，建设交通违法智能识别与事故分析系统。"),
    AgencySpec("tr_transport", "铜仁市交通运输局", "贵州省", "铜仁市", None, "520600", REGISTRAR_GOVERNMENT,
               ("transport",), "tongren-transport@demo.market.cn", "田晓东",
               "负责铜仁市公路建设养护与城乡客运管理。"),
    AgencySpec("gy_health", "贵阳市卫生健康委员会", "贵州省", "贵阳市", "观山湖区", "520100", REGISTRAR_GOVERNMENT,
               ("health",), "health@demo.market.cn", "陈静",
               "统筹贵阳市医疗卫生数据资源，推进医学影像辅助诊断与互联网医院建设。"),
    AgencySpec("tr_hospital", "铜仁市人民医院", "贵州省", "铜仁市", "碧江区", "520602", REGISTRAR_INSTITUTION,
               ("health",), "hospital@demo.market.cn", "吴敏",
               "三级甲等综合医院，建设影像科、病理科专病数据库与临床辅助决策系统。"),
    AgencySpec("ga_education", "贵安新区教育局", "贵州省", "贵阳市", "贵安新区", "520100", REGISTRAR_GOVERNMENT,
               ("education",), "education@demo.market.cn", "刘洋",
               "推进贵安新区智慧教育示范区建设，汇聚课堂教学与学业评价数据。"),
    AgencySpec("qn_education", "黔南布依族苗族自治州教育局", "贵州省", "黔南布依族苗族自治州", "都匀市",
               "522700", REGISTRAR_GOVERNMENT, ("education",), "qiannan-edu@demo.market.cn", "罗娟",
               "统筹黔南州基础教育信息化，建设州级教育资源公共服务平台。"),
)


@dataclass(frozen=True)
class VendorSpec:
    name: str
    slug: str  # the login is <slug>@demo.market.cn, except for the main demo vendor
    province: str
    city: str
    county: str
    seats: int
    profiles: tuple[str, ...]
    quality: float  # the firm's typical assessed proficiency, 0-1
    certifications: tuple[str, ...]
    clearance: str
    onsite: bool
    status: str = "verified"
    sme: bool = True
    user_name: str = ""
    description: str = ""
    status_reason: str | None = None


GUIYANG, TONGREN, QIANNAN = "贵阳市", "铜仁市", "黔南布依族苗族自治州"

VENDORS = (
    # Guiyang / Gui'an
    VendorSpec("贵州筑数智标科技有限公司", "vendor", "贵州省", GUIYANG, "观山湖区", 320,
               ("traffic_vision", "autonomous_driving"), 0.86, ("ISO 27001", "ISO 9001", "等保三级"),
               "important", True, user_name="张磊",
               description="入驻小兰山数据标注基地，专注智慧交通与自动驾驶数据标注，设专职质检组。"),
    VendorSpec("贵阳小兰山数据工场科技有限公司", "xiaolanshan", "贵州省", GUIYANG, "观山湖区", 260,
               ("autonomous_driving", "general_vision"), 0.82, ("ISO 27001", "ISO 9001"),
               "important", True, user_name="李婷",
               description="校企合作培养标注员，承接3D点云、自动驾驶场景标注。"),
    VendorSpec("贵州黔云标注信息技术有限公司", "qianyun", "贵州省", GUIYANG, "南明区", 120,
               ("general_vision", "text"), 0.74, ("ISO 9001",), "general", False, user_name="赵鹏"),
    VendorSpec("贵安新区算谷数据服务有限公司", "suangu", "贵州省", GUIYANG, "贵安新区", 540,
               ("traffic_vision", "remote_sensing", "general_vision"), 0.80,
               ("ISO 27001", "ISO 9001", "DSMM 3"), "important", True, sme=False, user_name="周晨",
               description="依托贵安算力资源的专业化数据标注基地。"),
    VendorSpec("贵州云栖智标数据科技有限公司", "yunqi", "贵州省", GUIYANG, "贵安新区", 180,
               ("text", "speech"), 0.78, ("ISO 27001", "ISO 27701"), "important", False, user_name="孙悦"),
    VendorSpec("贵阳观山湖点云智能科技有限公司", "dianyun", "贵州省", GUIYANG, "观山湖区", 90,
               ("autonomous_driving",), 0.88, ("ISO 27001",), "important", True, user_name="钱程"),
    VendorSpec("贵州医图数据标注有限公司", "yitu", "贵州省", GUIYANG, "云岩区", 150,
               ("medical", "clinical_text"), 0.84, ("ISO 27001", "ISO 27701", "等保三级"),
               "core", True, user_name="何丽",
               description="医学背景标注团队，影像标注由执业医师复核。"),
    VendorSpec("贵州声语智能科技有限公司", "shengyu", "贵州省", GUIYANG, "花溪区", 110,
               ("speech", "education"), 0.79, ("ISO 9001",), "general", False, user_name="冯雪"),
    VendorSpec("贵州文澜语料科技有限公司", "wenlan", "贵州省", GUIYANG, "贵安新区", 75,
               ("text", "clinical_text"), 0.83, ("ISO 27001", "ISO 9001"), "important", False,
               user_name="唐文"),
    VendorSpec("贵阳数境遥感信息技术有限公司", "shujing", "贵州省", GUIYANG, "白云区", 60,
               ("remote_sensing",), 0.81, ("ISO 9001",), "important", False, user_name="韩松"),
    VendorSpec("贵州智途交通数据服务有限公司", "zhitu", "贵州省", GUIYANG, "乌当区", 200,
               ("traffic_vision",), 0.77, ("ISO 27001", "等保三级"), "core", True, user_name="曹勇",
               description="长期服务公安交管与交通运输部门，具备涉密场地与驻场条件。"),
    VendorSpec("贵州教链数据科技有限公司", "jiaolian", "贵州省", GUIYANG, "花溪区", 140,
               ("education", "text"), 0.76, ("ISO 9001",), "general", True, user_name="邓琳"),
    VendorSpec("贵安光谷智算标注基地运营有限公司", "guanggu", "贵州省", GUIYANG, "贵安新区", 800,
               ("traffic_vision", "general_vision", "speech", "education"), 0.72,
               ("ISO 27001", "ISO 9001", "CMMI 3"), "important", True, sme=False, user_name="许强",
               description="规划万人级标注基地，现有800个标注席位。"),
    # Tongren
    VendorSpec("铜仁万山数智标注科技有限公司", "wanshan", "贵州省", TONGREN, "万山区", 300,
               ("general_vision", "traffic_vision", "speech"), 0.75, ("ISO 9001", "ISO 27001"),
               "important", True, user_name="田野",
               description="入驻万山数智产业园，与本地职业院校共建实训基地。"),
    VendorSpec("铜仁梵净数据服务有限公司", "fanjing", "贵州省", TONGREN, "碧江区", 85,
               ("speech", "text"), 0.73, ("ISO 9001",), "general", False, user_name="杨洁"),
    VendorSpec("贵州锦江智标信息技术有限公司", "jinjiang", "贵州省", TONGREN, "碧江区", 130,
               ("general_vision", "education"), 0.71, (), "general", True, user_name="龙飞"),
    VendorSpec("铜仁数聚标注科技有限公司", "shuju", "贵州省", TONGREN, "万山区", 220,
               ("traffic_vision", "autonomous_driving"), 0.78, ("ISO 27001",), "important", True,
               user_name="石磊"),
    VendorSpec("铜仁黔东语音数据有限公司", "qiandong", "贵州省", TONGREN, "碧江区", 60,
               ("speech",), 0.80, ("ISO 27701",), "important", False, user_name="吴倩"),
    VendorSpec("贵州武陵数据科技有限公司", "wuling", "贵州省", TONGREN, "碧江区", 45,
               ("general_vision",), 0.68, (), "general", False, status="pending", user_name="麻亮",
               description="2026年新设立，待平台核验资质。"),
    # Qiannan
    VendorSpec("惠水百鸟河数字科技有限公司", "bainiaohe", "贵州省", QIANNAN, "惠水县", 280,
               ("traffic_vision", "general_vision", "medical"), 0.76, ("ISO 9001", "ISO 27001"),
               "important", True, user_name="班华",
               description="百鸟河数字小镇产教融合实训基地合作企业，设280个专业席位。"),
    VendorSpec("黔南康数标注服务有限公司", "kangshu", "贵州省", QIANNAN, "惠水县", 160,
               ("medical", "text"), 0.79, ("ISO 27001", "ISO 27701"), "important", True,
               user_name="韦芳"),
    VendorSpec("都匀剑江数据服务有限公司", "jianjiang", "贵州省", QIANNAN, "都匀市", 95,
               ("text", "education"), 0.74, ("ISO 9001",), "general", False, user_name="莫军"),
    VendorSpec("黔南云雀数据科技有限公司", "yunque", "贵州省", QIANNAN, "都匀市", 70,
               ("general_vision", "remote_sensing"), 0.77, ("ISO 9001",), "general", True,
               user_name="蒙丽"),
    VendorSpec("福泉数标信息技术有限公司", "fuquan", "贵州省", QIANNAN, "福泉市", 55,
               ("traffic_vision",), 0.62, (), "general", False, status="suspended", user_name="王刚",
               status_reason="连续两批次交付抽检准确率低于合同要求，暂停接单整改。"),
    VendorSpec("荔波青山数据服务有限公司", "qingshan", "贵州省", QIANNAN, "荔波县", 30,
               ("speech",), 0.70, (), "general", False, status="pending", user_name="覃梅"),
    VendorSpec("惠水涟江标注科技有限公司", "lianjiang", "贵州省", QIANNAN, "惠水县", 40,
               ("education", "general_vision"), 0.72, (), "general", True, user_name="罗强"),
    VendorSpec("都匀毛尖智能科技有限公司", "maojian", "贵州省", QIANNAN, "都匀市", 20,
               ("text",), 0.75, (), "general", False, user_name="杨柳"),
    # Outside Guizhou: they compete on price and quality but get no local preference.
    VendorSpec("重庆两江智标数据科技有限公司", "liangjiang", "重庆市", "重庆市", "渝北区", 600,
               ("autonomous_driving", "traffic_vision", "general_vision"), 0.85,
               ("ISO 27001", "ISO 9001", "CMMI 3"), "important", True, sme=False, user_name="刘波"),
    VendorSpec("重庆山城数据服务有限公司", "shancheng", "重庆市", "重庆市", "沙坪坝区", 150,
               ("speech", "text"), 0.77, ("ISO 9001",), "general", False, user_name="谭静"),
    VendorSpec("成都天府数标科技有限公司", "tianfu", "四川省", "成都市", "武侯区", 450,
               ("medical", "general_vision", "clinical_text"), 0.83, ("ISO 27001", "ISO 27701", "ISO 9001"),
               "important", True, sme=False, user_name="黄蓉"),
    VendorSpec("成都锦城智能标注有限公司", "jincheng", "四川省", "成都市", "双流区", 200,
               ("traffic_vision", "remote_sensing"), 0.74, ("ISO 9001",), "general", False,
               status="pending", user_name="何川"),
)


@dataclass(frozen=True)
class TaskTemplate:
    """A kind of work an agency of `sector` orders, with how its staff would describe it."""

    sector: str
    skill: tuple[str, str]
    title: str
    description: str
    labels: tuple[str, ...]
    volume: tuple[int, int]
    accuracy: tuple[float, ...]
    classifications: tuple[str, ...]  # one is drawn per order
    onsite_share: float = 0.0
    certifications: tuple[str, ...] = ()
    splittable_share: float = 0.3
    questions: tuple[tuple[str, str], ...] = ()


TEMPLATES = (
    # Transport
    TaskTemplate(
        "transport", ("image", "bbox"), "交通卡口图像车辆检测框标注",
        "为支撑全省高速公路及国省干线卡口车辆识别模型迭代，对卡口抓拍图像开展车辆检测框标注。"
        "要求对图中所有可见机动车、非机动车及行人绘制最小外接矩形框，遮挡超过50%的目标须勾选“遮挡”属性；"
        "夜间及雨雾天气图像约占三成。交付格式为COCO JSON，按批次交付并接受抽检。",
        ("小型客车", "大型客车", "货车", "危化品运输车", "摩托车", "非机动车", "行人"),
        (300_000, 1_500_000), (0.95, 0.96, 0.97, 0.98), ("general", "general", "important"),
        splittable_share=0.6,
        questions=(("遮挡超过50%的车辆是否需要标注？", "需要标注，并勾选“遮挡”属性。"),
                   ("图像是否已脱敏（车牌、人脸）？", "车牌已打码，人脸未处理，标注须在平台指定环境内完成。")),
    ),
    TaskTemplate(
        "transport", ("video", "tracking"), "高速公路监控视频车辆轨迹跟踪标注",
        "对重点路段监控视频逐帧标注车辆目标框并保持跨帧ID一致，用于交通事件检测与流量统计模型训练。"
        "抽帧频率5帧/秒，目标出画后重新入画须沿用原ID。",
        ("小型客车", "货车", "客车", "施工车辆", "行人", "抛洒物"),
        (60_000, 300_000), (0.94, 0.95, 0.96), ("general", "important"), splittable_share=0.4,
        questions=(("目标被完全遮挡几帧后重新出现，ID是否保持？", "遮挡不超过25帧的保持原ID，超过的视为新目标。"),),
    ),
    TaskTemplate(
        "transport", ("point_cloud", "cuboid_3d"), "城市道路激光点云三维框标注",
        "对路侧感知设备采集的激光点云数据进行三维框标注（含朝向角），服务车路协同试点路段感知算法。"
        "点云与同步图像一并提供，须利用图像辅助判断类别。",
        ("机动车", "非机动车", "行人", "锥桶", "护栏"),
        (8_000, 40_000), (0.93, 0.95, 0.96), ("general", "important"), onsite_share=0.2,
        certifications=("ISO 27001",),
        questions=(("点云中少于10个点的远处目标是否需要标注？", "少于10个点的目标不标注。"),),
    ),
    TaskTemplate(
        "transport", ("image", "segmentation"), "交通标志与信号灯语义分割标注",
        "对道路场景图像进行像素级语义分割，重点区分交通标志、信号灯、车道线及护栏，用于道路设施数字化巡检。",
        ("路面", "车道线", "交通标志", "信号灯", "护栏", "植被", "天空"),
        (15_000, 60_000), (0.95, 0.96, 0.97), ("general",), splittable_share=0.3,
    ),
    TaskTemplate(
        "transport", ("text", "ner"), "交通事故认定书文本实体抽取标注",
        "对脱敏后的道路交通事故认定书进行命名实体标注，抽取时间、地点、车辆、当事人及责任认定等要素，"
        "用于事故成因分析。数据含个人信息，须驻场完成。",
        ("时间", "地点", "车辆号牌", "车辆类型", "当事人", "事故形态", "责任认定"),
        (5_000, 30_000), (0.96, 0.97, 0.98), ("important", "important", "core"), onsite_share=0.7,
        certifications=("ISO 27001",), splittable_share=0.0,
        questions=(("当事人姓名是否已替换为代号？", "已替换为“当事人甲/乙”，无需另行脱敏。"),),
    ),
    TaskTemplate(
        "transport", ("audio", "transcription"), "12328交通运输服务热线语音转写",
        "对12328热线录音进行逐字转写并标注诉求类型，含普通话及贵州方言，用于智能工单分派模型训练。"
        "时间戳精确到句。",
        ("普通话", "贵州方言", "投诉", "咨询", "建议"),
        (8_000, 40_000), (0.94, 0.95, 0.96), ("important",), splittable_share=0.5,
        questions=(("方言口语词按原话还是普通话转写？", "按原话转写，并在括号内注明普通话释义。"),),
    ),
    TaskTemplate(
        "transport", ("remote_sensing", "segmentation"), "国省干线公路遥感影像路网提取标注",
        "基于0.5米分辨率卫星影像勾绘道路、桥梁、隧道口及高边坡范围，服务公路资产数字化与灾害隐患排查。",
        ("道路", "桥梁", "隧道口", "高边坡"),
        (3_000, 12_000), (0.93, 0.95), ("important",), splittable_share=0.2,
    ),
    TaskTemplate(
        "transport", ("image", "classification"), "电子警察抓拍图像违法行为分类标注",
        "对电子警察抓拍图像判定违法行为类别并剔除误抓拍，用于非现场执法辅助审核模型训练。",
        ("闯红灯", "不按导向车道行驶", "违法停车", "未系安全带", "驾驶时使用手机", "误抓拍"),
        (200_000, 1_000_000), (0.97, 0.98), ("important", "core"), onsite_share=0.5,
        certifications=("等保三级",), splittable_share=0.3,
    ),
    # Health
    TaskTemplate(
        "health", ("medical_image", "segmentation"), "医学影像肺结节分割标注",
        "对胸部CT影像中的肺结节进行逐层勾画分割并标注结节类型，由具备影像专业背景的标注员完成、"
        "主治及以上医师复核。数据已去标识化，须在院内驻场完成。",
        ("实性结节", "部分实性结节", "磨玻璃结节", "钙化结节"),
        (6_000, 25_000), (0.96, 0.97, 0.98), ("important",), onsite_share=0.6,
        certifications=("ISO 27001",), splittable_share=0.0,
        questions=(("直径小于3毫米的结节是否需要勾画？", "不需要，仅标注直径3毫米及以上的结节。"),
                   ("复核医师由院方还是标注企业提供？", "由标注企业提供，院方抽检10%。")),
    ),
    TaskTemplate(
        "health", ("medical_image", "classification"), "眼底彩照糖尿病视网膜病变分级标注",
        "按国际临床分级标准对眼底彩照进行糖网病变分级，服务基层医疗机构糖网筛查模型。",
        ("0期", "1期", "2期", "3期", "4期", "无法判读"),
        (30_000, 120_000), (0.95, 0.96, 0.97), ("important",), splittable_share=0.4,
    ),
    TaskTemplate(
        "health", ("text", "relation"), "电子病历命名实体与关系标注",
        "对去标识化的住院电子病历标注疾病、症状、检查、药物、手术等实体及其关系，用于临床辅助决策知识库构建。",
        ("疾病", "症状", "检查", "药物", "手术", "部位", "疾病-症状", "药物-疾病"),
        (3_000, 15_000), (0.95, 0.96, 0.97), ("important",), onsite_share=0.3,
        certifications=("ISO 27001",), splittable_share=0.0,
        questions=(("否定表述（如“无发热”）如何标注？", "实体照常标注，并勾选“否定”属性。"),),
    ),
    TaskTemplate(
        "health", ("audio", "transcription"), "门诊语音病历转写标注",
        "对门诊医患对话录音进行转写并区分说话人，用于语音电子病历系统训练。录音含少量方言。",
        ("医生", "患者", "家属"),
        (5_000, 20_000), (0.95, 0.96), ("important",), splittable_share=0.3,
    ),
    TaskTemplate(
        "health", ("medical_image", "bbox"), "胸部X光片病灶检测框标注",
        "对胸部正位X光片中的病灶绘制检测框并标注类别，用于基层医疗机构影像辅助诊断。",
        ("肺炎", "肺结核", "气胸", "胸腔积液", "骨折"),
        (40_000, 150_000), (0.95, 0.96, 0.97), ("important", "general"), splittable_share=0.5,
    ),
    TaskTemplate(
        "health", ("text", "qa_pair"), "医患问诊对话问答对构建",
        "基于公开科普资料及脱敏问诊记录构建医患问答对，覆盖内科、儿科、妇产科及慢病随访，"
        "用于互联网医院智能导诊。",
        ("内科", "儿科", "妇产科", "慢病随访"),
        (10_000, 50_000), (0.93, 0.95), ("general",), splittable_share=0.5,
    ),
    TaskTemplate(
        "health", ("medical_image", "keypoint"), "病理切片细胞核关键点标注",
        "对HE染色病理切片视野图像中的细胞核中心点进行标注并区分细胞类型，用于病理辅助诊断模型训练。",
        ("肿瘤细胞", "淋巴细胞", "间质细胞", "其他"),
        (10_000, 40_000), (0.94, 0.95, 0.96), ("important",), certifications=("ISO 27001",),
        splittable_share=0.2,
    ),
    # Education
    TaskTemplate(
        "education", ("audio", "transcription"), "课堂语音转写标注",
        "对中小学课堂录音进行逐字转写并区分教师与学生发言，用于课堂教学行为分析。录音来自常态化录播教室。",
        ("教师讲授", "学生发言", "课堂互动"),
        (10_000, 50_000), (0.93, 0.94, 0.95), ("general",), splittable_share=0.6,
        questions=(("多名学生同时发言如何处理？", "标注为“[多人发言]”，不逐字转写。"),),
    ),
    TaskTemplate(
        "education", ("video", "classification"), "课堂视频师生行为识别标注",
        "对课堂录像切分片段标注师生行为类别，用于课堂观察与教学评价模型。学生面部已模糊处理。",
        ("举手", "起立发言", "书写", "阅读", "低头", "小组讨论", "教师板书"),
        (20_000, 80_000), (0.93, 0.95), ("general", "important"), splittable_share=0.4,
    ),
    TaskTemplate(
        "education", ("text", "classification"), "学生作文文本分类与评分维度标注",
        "对初中学生作文按立意、结构、语言三个维度分档标注，用于作文智能批改辅助。",
        ("一类文", "二类文", "三类文", "四类文"),
        (50_000, 200_000), (0.92, 0.94, 0.95), ("general",), splittable_share=0.5,
    ),
    TaskTemplate(
        "education", ("image", "polygon"), "手写作答图像文字区域标注",
        "对学生手写作答扫描图像勾绘文字行、公式及图形区域，用于作业智能批改的版面分析。",
        ("文字行", "公式", "图形", "涂改"),
        (100_000, 400_000), (0.94, 0.95, 0.96), ("general",), splittable_share=0.5,
    ),
    TaskTemplate(
        "education", ("text", "qa_pair"), "教育政策问答对构建",
        "围绕招生入学、学籍管理、学生资助、课后服务等政策文件构建问答对，用于教育政务智能问答。",
        ("招生入学", "学籍管理", "学生资助", "课后服务"),
        (5_000, 20_000), (0.94, 0.95, 0.96), ("general",), splittable_share=0.2,
        questions=(("问答对是否需要标注政策文件出处？", "需要，每条答案须注明文件名称及条款。"),),
    ),
    TaskTemplate(
        "education", ("image", "keypoint"), "体育课动作人体关键点标注",
        "对体育课及体质测试视频抽帧图像标注17个人体关键点，用于跳绳、立定跳远等项目的动作规范评估。",
        ("鼻尖", "肩", "肘", "腕", "髋", "膝", "踝"),
        (30_000, 100_000), (0.94, 0.95), ("general",), splittable_share=0.4,
    ),
)

# Prefixes and suffixes that make titles read like real batches of work.
TITLE_PREFIXES = ("{year}年", "{year}年第一批", "{year}年第二批", "", "", "")
TITLE_SUFFIXES = ("", "", "项目", "服务采购")
PHASES = ("", "", "（一期）", "（二期）")  # only where no place tag already ends the title
PLACE_TAGS = {
    "gz_transport": ("", "（全省高速路网）", "（贵阳—遵义段）"),
    "gz_traffic_police": ("", "（贵阳市区）", "（全省）"),
    "tr_transport": ("", "（铜仁市）", "（碧江区城区）"),
    "gy_health": ("", "（市属医院）", "（基层医疗机构）"),
    "tr_hospital": ("", "（影像科）", "（病理科）"),
    "ga_education": ("", "（贵安新区中小学）", "（智慧课堂试点校）"),
    "qn_education": ("", "（黔南州）", "（惠水县试点校）"),
}

BID_NOTES = (
    "设专职质检组，双人背靠背标注，质检抽样比例不低于10%。",
    "项目经理具有同类项目经验，首批样例3个工作日内交付确认。",
    "标注员均经岗前培训与考核，按日报告进度，周报质量指标。",
    "在本地基地驻场作业，数据不出场地，全程操作留痕。",
    "采用预标注+人工修正流程，按里程碑分批交付。",
    "配备行业专家复核疑难样本，争议样本单独清单反馈。",
)

CANCEL_REASONS = (
    "项目预算调整，本期暂不实施。",
    "需求范围变更，将合并至下一批次重新发布。",
    "数据采集未按期完成，项目暂缓。",
)

# A coordinator's reason for approving a proposed match, and for rejecting one.
# Why a coordinator verified a firm: the programme checks the licence, the credit code and the
# security material before a firm may bid.
VERIFICATION_REASON = "资料审核通过：营业执照、统一社会信用代码与数据安全材料齐全"

APPROVAL_REASONS = (
    "综合评分最高，产能与交付期匹配。",
    "质量与价格兼优，同意按匹配结果签约。",
    "资质核验无误，同意匹配建议。",
)
REJECTION_REASONS = (
    "该企业同期在执行项目较多，交付风险偏高，请重新匹配。",
    "报价明显低于同类项目成本，存在质量风险，请重新匹配。",
)

RATING_COMMENTS = {
    5: "按期交付，质量优于合同要求。",
    4: "按期交付，质量达标。",
    3: "基本完成，存在返工或延期。",
    2: "延期交付，部分批次返工。",
    1: "严重延期且质量不达标。",
}
