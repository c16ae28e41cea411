"""The one translation table of the explorer; parameter and output labels come from the model."""

from __future__ import annotations

LANGUAGES = {"en": "English", "zh": "中文"}

TEXT = {
    "title": {"en": "Relocation in Guangxi: what follows the move", "zh": "广西易地扶贫搬迁：搬迁之后"},
    "subtitle": {
        "en": "Move the policy levers on the left and see what they do to relocated people's jobs, citizenship and "
        "income, and to the province's urbanization. Bands show what we do not know.",
        "zh": "调整左侧的政策杠杆，观察其对搬迁群众就业、市民化、收入以及全区城镇化的影响。阴影带表示不确定性范围。",
    },
    "language": {"en": "Language / 语言", "zh": "语言 / Language"},
    "view_explore": {"en": "Explore", "zh": "政策探索"},
    "view_compare": {"en": "Compare scenarios", "zh": "情景比较"},
    "view_workshop": {"en": "Workshop mode", "zh": "研讨会模式"},
    "view_model": {"en": "The model", "zh": "模型说明"},
    "view_sensitivity": {"en": "Sensitivity", "zh": "敏感性分析"},
    "view_robustness": {"en": "Robustness", "zh": "稳健性"},
    "view_where": {"en": "Where", "zh": "分地区"},
    "view_room": {"en": "Workshop room", "zh": "研讨会议室"},
    "room_create": {"en": "Create a workshop room", "zh": "创建研讨会议室"},
    "room_create_note": {
        "en": "Choose a room file (the levers teams may move, the rounds and the roles; models/rooms/) or upload "
        "your own. You get a facilitator link with a secret key (keep it), a participant link and a link for the "
        "room's screen.",
        "zh": "选择一个会议室文件（各组可调整的政策杠杆、轮次与角色；models/rooms/），或上传自己的文件。"
        "创建后会得到一个带密钥的主持人链接（请妥善保管）、一个参与者链接和一个大屏链接。",
    },
    "room_file": {"en": "Room file", "zh": "会议室文件"},
    "room_upload": {"en": "Or upload a room file (TOML)", "zh": "或上传会议室文件（TOML）"},
    "room_create_button": {"en": "Create the room", "zh": "创建会议室"},
    "room_created": {"en": "Room {code} created.", "zh": "会议室 {code} 已创建。"},
    "room_links": {
        "en": "Facilitator (secret: shown once), participants, the room's screen:",
        "zh": "主持人链接（含密钥，仅显示一次）、参与者链接、大屏链接：",
    },
    "room_refused": {"en": "Not done: {error}", "zh": "未执行：{error}"},
    "room_join": {"en": "Join the room", "zh": "加入会议室"},
    "room_join_button": {"en": "Join", "zh": "加入"},
    "room_team": {"en": "Team", "zh": "小组"},
    "room_role": {"en": "Role", "zh": "角色"},
    "room_you": {"en": "{team}: {label}", "zh": "{team}：{label}"},
    "room_closed": {
        "en": "Round {n} is closed: the facilitator is choosing. The next round opens here.",
        "zh": "第{n}轮已结束，主持人正在决定。下一轮将在此开启。",
    },
    "room_robust": {"en": "Futures meeting every target", "zh": "全部目标达成的情形占比"},
    "room_cost": {"en": "Cost", "zh": "成本"},
    "room_cost_help": {
        "en": "The public cost of the proposal to the end of the run (the cost output of the targets file), and its "
        "change from the room's settings so far.",
        "zh": "方案至模拟期末的公共成本（目标文件中的成本输出），以及相对本会议室目前设定的变化。",
    },
    "room_story": {"en": "The story behind the room: {title}", "zh": "会议室的背景故事：{title}"},
    "room_story_link": {"en": "Walk through it in Workshop mode", "zh": "在研讨会模式中逐步演示"},
    "room_levers": {"en": "Your team's levers", "zh": "本组可调整的政策"},
    "room_series_proposal": {"en": "Your proposal", "zh": "本组方案"},
    "room_series_room": {"en": "The room's settings so far", "zh": "会议室目前的设定"},
    "room_votes": {"en": "Votes", "zh": "票数"},
    "room_rationale": {"en": "Rationale", "zh": "理由"},
    "room_submit": {"en": "Submit the proposal", "zh": "提交方案"},
    "room_submitted": {
        "en": "Submitted: it is on the room's screen. You may revise it until the round closes.",
        "zh": "已提交，方案已显示在大屏上。本轮结束前可以修改。",
    },
    "room_vote": {"en": "Vote for another team's proposal", "zh": "为其他小组的方案投票"},
    "room_vote_for": {"en": "Team", "zh": "小组"},
    "room_vote_button": {"en": "Vote", "zh": "投票"},
    "room_voted": {"en": "Your team's vote is counted.", "zh": "已计入本组的投票。"},
    "room_code": {"en": "Room code", "zh": "会议室代码"},
    "room_round_closed": {"en": "closed", "zh": "已结束"},
    "room_teams": {"en": "Teams ({n}): {names}", "zh": "小组（{n}）：{names}"},
    "room_proposals": {"en": "Proposals ({n}): {names}", "zh": "方案（{n}）：{names}"},
    "room_chart_note": {
        "en": "Each proposal (a point) against the room's settings so far (dashed: round 1 the defaults, a later "
        "round the proposals adopted before), in the headline year.",
        "zh": "每个方案（圆点）与会议室目前的设定（虚线：第1轮为默认设定，之后为此前各轮通过的方案）相比，"
        "取标题年份的数值。",
    },
    "room_no_proposals": {"en": "No proposal yet in this round.", "zh": "本轮尚无方案。"},
    "room_facilitator": {"en": "Facilitator", "zh": "主持人"},
    "room_adopt_which": {"en": "Proposal", "zh": "方案"},
    "room_adopt": {"en": "Adopt it (closes the round)", "zh": "通过该方案（结束本轮）"},
    "room_next": {"en": "Open the next round", "zh": "开启下一轮"},
    "room_delete": {"en": "Delete it", "zh": "删除该方案"},
    "room_adopted": {"en": "Adopted: the proposal of {team}", "zh": "通过：{team}的方案"},
    "room_delete_room": {"en": "Delete the room", "zh": "删除会议室"},
    "room_delete_room_note": {
        "en": "Deletes the room with its teams, every submission, the votes and adoptions, for good: export it first.",
        "zh": "永久删除会议室及其小组、全部提交记录、投票和通过记录：请先导出。",
    },
    "room_delete_room_confirm": {"en": "Type the room code to confirm", "zh": "输入会议室代码以确认"},
    "room_exports": {"en": "Export the room (CSV, scenarios, report)", "zh": "导出会议室（CSV、情景、报告）"},
    "room_export_csv": {"en": "Every submission (CSV)", "zh": "全部提交记录（CSV）"},
    "room_export_toml": {"en": "Proposals as scenarios (TOML, zip)", "zh": "方案情景文件（TOML，zip）"},
    "room_export_html": {"en": "Report for the minutes (HTML)", "zh": "会议纪要报告（HTML）"},
    "where_none": {
        "en": "This model is not split by place and type of site. The split model opens with "
        "make run MODEL=models/sites/relocation_sites.mdl (python -m sd_model split writes it from a place file).",
        "zh": "当前模型未按地区和安置点类型细分。细分模型可用 make run MODEL=models/sites/relocation_sites.mdl 打开"
        "（python -m sd_model split 根据地区文件生成）。",
    },
    "where_output": {"en": "Output", "zh": "指标"},
    "where_year": {"en": "Year", "zh": "年份"},
    "where_map": {"en": "{output} by place, {year}", "zh": "{output}：分地区，{year}年"},
    "where_map_note": {
        "en": "One tile a place, placed roughly as on the map (tile_row and tile_col of the place file); hover for "
        "the baseline and the difference.",
        "zh": "每个方块代表一个地区，大致按地图位置排列（地区文件的 tile_row 和 tile_col）；悬停可见基线值及差值。",
    },
    "where_types": {"en": "{output} by type of site", "zh": "{output}：按安置点类型"},
    "where_table": {"en": "{output} by place and type of site, {year}", "zh": "{output}：按地区和安置点类型，{year}年"},
    "where_place": {"en": "Place", "zh": "地区"},
    "where_robust": {
        "en": "Which sites meet the targets: share of futures",
        "zh": "哪些安置点能达成目标：达成情形占比",
    },
    "where_target": {"en": "Target", "zh": "目标"},
    "where_robust_note_ranges": {
        "en": "At the current levers, in {n} futures drawn over the full ranges of the uncertainties (the model has no "
        "posterior beside it), each target read at each site as the province's target reads the province.",
        "zh": "在当前政策杠杆下，于不确定参数全范围抽取的{n}种情形中（模型旁无后验分布），按全区目标的口径逐个"
        "安置点评估。",
    },
    "where_robust_note_posterior": {
        "en": "At the current levers, in {n} futures drawn from the split model's posterior (calibrated to the "
        "province's figures and the places' own), each target read at each site as the province's target reads "
        "the province.",
        "zh": "在当前政策杠杆下，于细分模型后验分布（依据全区数据及各地区自身数据校准）抽取的{n}种情形中，按全区目标"
        "的口径逐个安置点评估。",
    },
    "where_site": {"en": "Where one site misses (PRIM)", "zh": "某一安置点在哪些情形下未达标（PRIM）"},
    "where_prim": {
        "en": "PRIM (EMA Workbench) over the same futures: the region of the uncertainties that holds most of the "
        "futures in which this site misses the target. The site meeting it in the fewest futures is chosen first.",
        "zh": "在同一组情形上运行PRIM（EMA Workbench）：找出包含该安置点大部分未达标情形的不确定参数区域。默认选择达成"
        "情形最少的安置点。",
    },
    "where_difference": {"en": "Difference to the baseline", "zh": "与基线之差"},
    "where_bad_places": {
        "en": "The place file beside the model cannot be read ({error}); the places are shown by their ids.",
        "zh": "模型旁的地区文件无法读取（{error}）；按地区代码显示。",
    },
    "rob_intro": {
        "en": "Does a policy hold if we are wrong about the world? Each scenario is run in the same {n} futures drawn "
        "from the posterior, and scored on the targets of {file}.",
        "zh": "如果我们对外部环境的判断有误，政策是否仍然有效？每个情景都在从后验分布抽取的同样{n}种情形中运行，并按 "
        "{file} 中的目标评估。",
    },
    "rob_scenarios": {"en": "Named scenarios: robustness against cost", "zh": "预设情景：稳健性与成本"},
    "rob_cost_axis": {
        "en": "Cumulative fiscal cost to 2035, median (billion yuan)",
        "zh": "至2035年累计财政成本中位数（十亿元）",
    },
    "rob_share_axis": {"en": "Share of futures meeting every target", "zh": "全部目标达成的情形占比"},
    "rob_chart_note": {
        "en": "Points: the named scenarios. Green line: the robust low-cost front found by python -m robustness "
        "optimize (no setting does better on both at once).",
        "zh": "点：预设情景。绿线：由 python -m robustness optimize 求得的稳健低成本前沿（没有任何设置能在两方面同时更"
        "优）。",
    },
    "rob_cost_col": {"en": "Cost to 2035 (bn yuan)", "zh": "至2035年成本（十亿元）"},
    "rob_where": {"en": "Where the current setting fails", "zh": "当前设置在哪些情形下失效"},
    "rob_where_note": {
        "en": "PRIM (EMA Workbench) over the uncertainties and historical settings: a box holding most of the futures "
        "in which the current levers miss; coverage is the share of the misses inside it, density the share of "
        "its futures that miss.",
        "zh": "基于不确定参数和历史设定的PRIM（EMA Workbench）：找出包含当前政策大部分未达标情形的区域；覆盖率为区域内"
        "未达标情形占全部未达标情形之比，密度为区域内未达标情形之比。",
    },
    "rob_current": {"en": "The current setting", "zh": "当前设置"},
    "rob_front": {"en": "Robust low-cost portfolios", "zh": "稳健低成本政策组合"},
    "rob_no_front": {
        "en": "No robust front for this version of the model: run python -m robustness optimize --bundle.",
        "zh": "当前模型版本尚无稳健前沿：请运行 python -m robustness optimize --bundle。",
    },
    "rob_member": {"en": "Member of the front", "zh": "前沿上的组合"},
    "rob_member_label": {
        "en": "{member}: {share:.0%} of futures, {cost:.1f} bn yuan",
        "zh": "{member}：{share:.0%}的情形达标，{cost:.1f}十亿元",
    },
    "rob_load": {"en": "Load into the sliders", "zh": "载入滑块"},
    "rob_front_note": {
        "en": "Each member is a lever setting from 2026 on the Pareto front of cost against robustness; loading it "
        "sets the sliders.",
        "zh": "每个组合都是2026年起的一组政策设置，位于成本与稳健性的帕累托前沿上；载入后滑块随之设置。",
    },
    "front_loaded": {"en": "Loaded {name}", "zh": "已载入：{name}"},
    "preset": {"en": "Preset scenario", "zh": "预设情景"},
    "custom": {"en": "(custom)", "zh": "（自定义）"},
    "page_title": {"en": "Guangxi relocation: policy explorer", "zh": "广西易地扶贫搬迁政策模拟"},
    "levers": {"en": "Policy levers", "zh": "政策杠杆"},
    "levers_note": {
        "en": "What government decides. Each acts from the policy year.",
        "zh": "政府的决策。每个杠杆自政策实施年份起生效。",
    },
    "assumptions": {"en": "Assumptions about the world", "zh": "关于外部世界的假设"},
    "assumptions_note": {
        "en": "What we assume about the world, not what government decides. Changing an assumption moves the baseline "
        "too: the cards compare policy with the baseline under the same assumptions.",
        "zh": "这是我们对外部世界的假设，而不是政府的决策。改变假设也会改变基准：指标卡比较的是相同假设下的政策与基准"
        "。",
    },
    "reset_assumptions": {"en": "Reset the assumptions", "zh": "假设恢复默认"},
    "assumptions_changed": {
        "en": "**Assumptions changed:** {assumed}. The cards and the dashed baseline use these assumptions too, so "
        "they show what policy does in this world; the thin grey line is the baseline at the default "
        "assumptions.",
        "zh": "**假设已改变：** {assumed}。指标卡和虚线基准同样采用这些假设，因此显示的是在这种情况下政策的作用；灰色"
        "细线为默认假设下的基准。",
    },
    "baseline_moved": {
        "en": "What the assumptions alone did to the baseline in {year}: {moved}.",
        "zh": "仅由假设变化引起的基准变化（{year}年）：{moved}。",
    },
    "series_reference": {"en": "Baseline at default assumptions", "zh": "默认假设下的基准"},
    "compare_assumptions": {
        "en": "Every scenario runs under the assumptions now set in the sidebar.",
        "zh": "所有情景均采用侧栏中当前设置的假设。",
    },
    "theme_policy": {"en": "When policy acts, and follow-up support", "zh": "政策时点与后续扶持"},
    "theme_relocation": {"en": "Relocation", "zh": "搬迁安置"},
    "theme_livelihood": {"en": "Livelihood and training", "zh": "生计与培训"},
    "theme_assets": {"en": "Assets and shares", "zh": "资产与股权"},
    "theme_governance": {"en": "Governance and community", "zh": "治理与社区"},
    "theme_assumptions": {"en": "Uncertain quantities", "zh": "不确定参数"},
    "theme_history": {
        "en": "What was done before the policy year (calibrated)",
        "zh": "政策实施前的历史设定（校准值）",
    },
    "reset": {"en": "Reset", "zh": "重置"},
    "reset_all": {"en": "Reset all to baseline", "zh": "全部恢复基准"},
    "default": {"en": "default", "zh": "默认值"},
    "units": {"en": "units", "zh": "单位"},
    "source": {"en": "Source", "zh": "来源"},
    "card_year": {"en": "Year for the cards", "zh": "指标卡年份"},
    "vs_baseline": {"en": "vs baseline", "zh": "较基准"},
    "vs_baseline_help": {
        "en": "The change is against the baseline under the same assumptions (every lever at its default).",
        "zh": "变化量与相同假设下的基准（所有杠杆取默认值）相比。",
    },
    "kpi_chart": {"en": "Headline outcomes: scenario against baseline", "zh": "核心指标：当前情景与基准对比"},
    "band_note_posterior": {
        "en": "Shaded: 5–95 % and 25–75 % of {n} futures drawn from the posterior (what the public figures still allow "
        "of the assumptions and of what was done before the policy year), at the current levers.",
        "zh": "阴影：在当前政策下，从后验分布（公开数据仍允许的假设参数与政策实施前历史设定）抽取{n}种情形的5–95%和25–"
        "75%区间。",
    },
    "band_note_ranges": {
        "en": "Stress test. Shaded: 5–95 % and 25–75 % of {n} futures drawn uniformly over the full range of every "
        "assumption and historical setting, ignoring what the data rule out, at the current levers.",
        "zh": "压力测试。阴影：在当前政策下，对每个假设参数和历史设定在其全部取值范围内均匀抽取{n}种情形（不考虑数据已"
        "排除的情形）的5–95%和25–75%区间。",
    },
    "robustness_strip": {
        "en": "Robustness: share of futures in which each target holds",
        "zh": "稳健性：各目标得以实现的情形占比",
    },
    "all_targets": {"en": "All targets", "zh": "全部目标"},
    "strip_vs_baseline": {"en": "baseline {share}", "zh": "基准 {share}"},
    "strip_note_posterior": {
        "en": "Of {n} futures drawn from the posterior, at the current levers; targets declared in {file}.",
        "zh": "在当前政策下，从后验分布抽取的{n}种情形中的占比；目标见 {file}。",
    },
    "strip_note_ranges": {
        "en": "Stress test: of {n} futures drawn over the full ranges, at the current levers; targets declared in "
        "{file}.",
        "zh": "压力测试：在当前政策下，按全部取值范围抽取的{n}种情形中的占比；目标见 {file}。",
    },
    "why_open": {
        "en": "Why? Show the loops and causes behind the outcomes",
        "zh": "为什么？显示驱动结果的反馈回路与原因",
    },
    "why_other": {"en": "other loops", "zh": "其他回路"},
    "why_outcome": {"en": "Outcome", "zh": "结果指标"},
    "why_now": {"en": "Current levers:", "zh": "当前政策："},
    "why_baseline": {"en": "Baseline:", "zh": "基准："},
    "why_same": {"en": "The same loops dominate in the baseline.", "zh": "基准情景下主导的回路相同。"},
    "why_share": {"en": "share of loop activity", "zh": "回路作用占比"},
    "why_read": {
        "en": "How to read: each band is a named feedback loop's share of the loop activity that drives this outcome "
        "(pysimlin's Loops that Matter: the relative loop score, summed over the loops of that name and shared "
        "out to 100 % each year). A loop dominates a period when it, with at most one other, makes up half or "
        "more.",
        "zh": "读图方法：每条色带是某一命名反馈回路在驱动该指标的回路作用中所占份额（pysimlin 的 Loops that Matter 相"
        "对回路得分，按回路名称加总并逐年归一为100%）。某一时期中，若某回路（至多再加一条）占一半以上，即为主导"
        "回路。",
    },
    "why_loop": {"en": "Draw a dominant loop", "zh": "绘制主导回路"},
    "why_diagram": {
        "en": "The loop in red on the diagram of the {sector} sector",
        "zh": "红色为该回路，绘于“{sector}”部门图上",
    },
    "why_causes": {
        "en": "Causes of {name} in {year}, against the baseline",
        "zh": "{year}年“{name}”的直接原因（与基准比较）",
    },
    "why_back": {"en": "Back to {name}", "zh": "返回“{name}”"},
    "why_cause_help": {
        "en": "Baseline: {base}. Click for this variable's own causes.",
        "zh": "基准：{base}。点击查看其直接原因。",
    },
    "why_causes_note": {
        "en": "The direct causes of the variable as its equation in the .mdl states them, largest relative change "
        "first; a click goes one level down (constants have no causes).",
        "zh": "按.mdl方程列出的直接原因，按相对变化从大到小排列；点击可下钻一层（常数没有原因）。",
    },
    "bands_full_ranges": {"en": "Stress test: bands over the full ranges", "zh": "压力测试：按全部取值范围计算区间"},
    "bands_full_ranges_help": {
        "en": "Off: futures from the posterior calibrated to the public figures. On: every assumption anywhere in its "
        "range.",
        "zh": "关闭：来自依据公开数据校准的后验分布；开启：每个假设参数在其全部范围内任意取值。",
    },
    "series_scenario": {"en": "Current scenario", "zh": "当前情景"},
    "series_baseline": {"en": "Baseline", "zh": "基准"},
    "people_chart": {"en": "Where the relocated people are", "zh": "搬迁人口去向"},
    "income_chart": {
        "en": "Income per relocated person against the poverty line",
        "zh": "搬迁人口人均收入构成与贫困线",
    },
    "year": {"en": "Year", "zh": "年份"},
    "value": {"en": "Value", "zh": "数值"},
    "persons": {"en": "Persons", "zh": "人"},
    "yuan": {"en": "Yuan per person per year (2020 prices)", "zh": "元/人·年（2020年价格）"},
    "wage": {"en": "Wages", "zh": "工资性收入"},
    "equity": {"en": "Equity dividends", "zh": "股权分红"},
    "transfer": {"en": "Transfers", "zh": "转移性收入"},
    "poverty_line": {"en": "Poverty line (monitoring line from 2021)", "zh": "贫困线（2021年起为监测线）"},
    "export": {"en": "Export and import", "zh": "导出与导入"},
    "export_toml": {"en": "Download scenario (TOML)", "zh": "下载情景（TOML）"},
    "export_csv": {"en": "Download results (CSV)", "zh": "下载结果（CSV）"},
    "import": {"en": "Import a scenario file (TOML)", "zh": "导入情景文件（TOML）"},
    "imported": {"en": "Imported scenario '{name}'.", "zh": "已导入情景“{name}”。"},
    "import_error": {"en": "The file was not imported: {error}", "zh": "文件未导入：{error}"},
    "share_link": {
        "en": "Share: the address bar holds every changed value.",
        "zh": "分享：地址栏已包含所有修改过的参数。",
    },
    "bad_link": {
        "en": "Link: {error}; the default is used for this value.",
        "zh": "链接参数有误：{error}；该参数使用默认值。",
    },
    "compare_pick": {"en": "Scenarios to compare (up to three)", "zh": "选择比较情景（最多三个）"},
    "compare_chart": {"en": "Scenarios side by side", "zh": "情景并列比较"},
    "story": {"en": "Story", "zh": "剧本"},
    "step": {"en": "Step {i} of {n}", "zh": "第{i}步，共{n}步"},
    "previous": {"en": "◀ Previous", "zh": "◀ 上一步"},
    "next": {"en": "Next ▶", "zh": "下一步 ▶"},
    "locked": {"en": "Locked in this step", "zh": "本步骤锁定"},
    "no_stories": {"en": "No stories in {folder}.", "zh": "{folder} 中没有剧本。"},
    "parameters_table": {"en": "Parameters and their sources", "zh": "参数及来源"},
    "equations": {"en": "Every equation of the model", "zh": "模型全部方程"},
    "structure": {"en": "Stock-and-flow structure: {sector}", "zh": "存量流量结构：{sector}"},
    "structure_note": {
        "en": "Drawn from the equations above, as in the sector's view of the Vensim model: stocks (blue boxes), flows "
        "(yellow, bold arrows from and to their stocks), other variables, and in grey dashed outline what comes "
        "from other sectors. An arrow a → b means b's equation uses a.",
        "zh": "由上方方程生成，与 Vensim 模型中该子系统视图一致：存量（蓝色方框）、流量（黄色，粗箭头连接其存量）、其"
        "他变量，灰色虚线为来自其他子系统的变量。箭头 a → b 表示 b 的方程使用了 a。",
    },
    "show_constants": {"en": "Show constants", "zh": "显示常数"},
    "sector": {"en": "Sector", "zh": "子系统"},
    "no_sensitivity": {
        "en": "No sensitivity results: neither bundled ones (`data/sensitivity/`, made by `python -m sensitivity "
        "bundle`) nor your own in `{folder}` (made by `python -m sensitivity sobol --out {folder}/sobol`).",
        "zh": "没有敏感性分析结果：既没有随附结果（`data/sensitivity/`，由 `python -m sensitivity bundle` 生成），也没"
        "有 `{folder}` 中的自有结果（由 `python -m sensitivity sobol --out {folder}/sobol` 生成）。",
    },
    "sensitivity_pick": {"en": "Results", "zh": "分析结果"},
    "sensitivity_stale": {
        "en": "These results were computed for another version of the model or its parameter table; rerun the analysis "
        "to trust them.",
        "zh": "这些结果是针对模型或参数表的另一个版本计算的；请重新运行分析后再使用。",
    },
    "sensitivity_help": {
        "en": "How much of each outcome's spread over the parameter ranges each parameter explains (Sobol total order "
        "ST: its share of the variance, interactions included; Morris mu*: its mean absolute effect). Bars: the "
        "latest year; map: every year.",
        "zh": "各参数在其取值范围内对结果变化的解释程度（Sobol 总效应指数 ST：含交互作用的方差占比；Morris mu*：平均绝"
        "对效应）。条形图为最后一年，热图为各年份。",
    },
    "story_skipped": {
        "en": "Story {file} skipped: {problem}",
        "zh": "已跳过剧本 {file}：{problem}",
    },
    "sensitivity_unreadable": {
        "en": "Run {folder} is unreadable and not listed: {problem}",
        "zh": "运行结果 {folder} 无法读取，未列出：{problem}",
    },
    "yuan_buys": {"en": "What a yuan buys", "zh": "每一元钱的成效"},
    "yuan_buys_note": {
        "en": "Against policy unchanged (every lever at its default, the same assumptions), from {year} to {final}: "
        "the extra public money spent, and what it buys. Below, each lever that costs public money moved alone "
        "by a tenth of its range from the current settings. Empty: no gain.",
        "zh": "与政策不变（所有杠杆取默认值、假设相同）相比，{year}年至{final}年：多花的财政资金及其成效。下表为每个需"
        "要财政投入的杠杆在当前设置基础上单独调整其取值范围的十分之一的结果。空白表示没有收益。",
    },
    "scenario_effect": {"en": "This scenario against policy unchanged", "zh": "当前情景与政策不变相比"},
    "extra_cost": {"en": "extra public money (yuan)", "zh": "新增财政支出（元）"},
    "employed_person_years": {"en": "extra employed person-years", "zh": "新增就业人·年"},
    "income_yuan": {"en": "extra income (yuan)", "zh": "新增收入（元）"},
    "relapse_person_years_avoided": {"en": "person-years kept out of relapse risk", "zh": "减少的返贫风险人·年"},
    "per_employed_person_years": {
        "en": "yuan per extra employed person-year",
        "zh": "每新增一个就业人·年的财政投入（元）",
    },
    "per_income_yuan": {"en": "yuan per extra yuan of income", "zh": "每新增一元收入的财政投入（元）"},
    "per_relapse_person_years_avoided": {
        "en": "yuan per person-year out of relapse risk",
        "zh": "每减少一个返贫风险人·年的财政投入（元）",
    },
    "lever": {"en": "lever", "zh": "杠杆"},
    "from_to": {"en": "from → to", "zh": "调整"},
    "compare_year": {"en": "The table shows {year}.", "zh": "表格显示{year}年的数值。"},
    "sensitivity_run": {
        "en": "Results of `{method}` run of {time}, N = {n}.",
        "zh": "{time} 的 `{method}` 分析结果，N = {n}。",
    },
    "ranked": {"en": "Ranked drivers", "zh": "主要驱动因素排序"},
    "over_time": {"en": "Indices over the years", "zh": "敏感性指数随时间变化"},
    "output": {"en": "Outcome", "zh": "指标"},
    # ------------------------------------------------ any model (python -m explorer.serve --mdl PATH)
    "title_model": {"en": "Explorer: {name}", "zh": "模型浏览器：{name}"},
    "page_title_model": {"en": "{name}: model explorer", "zh": "{name}：模型浏览器"},
    "subtitle_model": {
        "en": "Move the sliders on the left and see what they do to the model's outputs, against its baseline (every "
        "slider at the model's own value).",
        "zh": "调整左侧的滑块，观察其对模型输出的影响，并与基准（所有滑块取模型自身的数值）比较。",
    },
    "model_error": {"en": "The model cannot be shown: {error}", "zh": "无法显示该模型：{error}"},
    "levers_note_model": {
        "en": "What the model's users decide: the levers its metadata names.",
        "zh": "模型使用者可以决定的量：模型元数据中列出的杠杆。",
    },
    "constants": {"en": "Constants of the model", "zh": "模型常数"},
    "constants_note": {
        "en": "This model has no metadata (model.toml beside its .mdl) to say which constants are levers: every "
        "constant the .mdl gives a finite [low, high] range has a slider.",
        "zh": "该模型没有元数据（.mdl 同目录下的 model.toml）说明哪些常数是杠杆：凡在 .mdl 中给出有限取值范围 [low, "
        "high] 的常数都有滑块。",
    },
    "unranged": {
        "en": "{n} constants have no finite range in the .mdl and so no slider (see The model).",
        "zh": "另有{n}个常数在 .mdl 中没有有限取值范围，因此没有滑块（见“模型说明”）。",
    },
    "no_sliders": {
        "en": "Nothing to move: no constant of this model has a finite range in its .mdl.",
        "zh": "没有可调整的参数：该模型的常数在 .mdl 中都没有有限取值范围。",
    },
    "group_scalars": {"en": "Constants", "zh": "常数"},
    "group_policy": {"en": "Policy", "zh": "政策"},
    "group_relocation": {"en": "Relocation", "zh": "搬迁"},
    "group_livelihood": {"en": "Livelihood", "zh": "生计"},
    "group_assets": {"en": "Assets", "zh": "资产"},
    "group_governance": {"en": "Governance", "zh": "治理"},
    "group_assumptions": {"en": "Uncertain quantities", "zh": "不确定参数"},
    "group_history": {"en": "History", "zh": "历史设定"},
    "group_targeted": {"en": "Targeted at sites", "zh": "定向到安置点"},
    "shown_outputs": {"en": "Outputs shown", "zh": "显示的输出"},
    "shown_outputs_help": {
        "en": "This model's metadata names no headline outputs: the cards and charts show these (its first stocks at "
        "first).",
        "zh": "该模型的元数据未指定核心指标：指标卡和图表显示此处所选的输出（默认为前几个存量）。",
    },
    "time": {"en": "Time", "zh": "时间"},
    "card_time": {"en": "Time for the cards", "zh": "指标卡时间"},
    "no_futures": {
        "en": 'No bands and no robustness: this model has no uncertain quantities (parameters of kind "uncertainty" '
        "in its metadata) to draw futures from.",
        "zh": '没有不确定性区间和稳健性分析：该模型没有可抽取情形的不确定参数（元数据中 kind 为 "uncertainty" 的参数'
        "）。",
    },
    "band_note_prior": {
        "en": "Shaded: 5–95 % and 25–75 % of {n} futures drawn uniformly over the full range of every uncertain "
        "quantity, at the current levers. This model has no posterior (posterior/ beside its .mdl) to narrow "
        "them.",
        "zh": "阴影：在当前政策下，对每个不确定参数在其全部取值范围内均匀抽取{n}种情形的5–95%和25–75%区间。该模型没有"
        "可缩小范围的后验分布（.mdl 同目录下的 posterior/）。",
    },
    "strip_note_prior": {
        "en": "Of {n} futures drawn over the full ranges (this model has no posterior), at the current levers; targets "
        "declared in {file}.",
        "zh": "在当前政策下，按全部取值范围抽取的{n}种情形中的占比（该模型没有后验分布）；目标见 {file}。",
    },
    "no_targets": {
        "en": "No robustness strip: this model has no targets file ({file}).",
        "zh": "没有稳健性指标：该模型没有目标文件（{file}）。",
    },
    "bad_targets": {"en": "The targets file cannot be used: {error}", "zh": "目标文件无法使用：{error}"},
    "no_costs": {
        "en": "No costs here: this model has none of the project's cost outputs (public money spent, and the jobs, "
        "income and relapse risk it buys).",
        "zh": "此处不显示成本：该模型没有本项目的成本输出（财政支出及其带来的就业、收入和返贫风险变化）。",
    },
    "why_unavailable": {
        "en": "The loops of this model cannot be analysed: {error}",
        "zh": "无法分析该模型的反馈回路：{error}",
    },
    "why_causes_unavailable": {
        "en": "The causes of this outcome cannot be shown for this model: {error}",
        "zh": "无法显示该模型中此结果的直接原因：{error}",
    },
    "why_no_loops": {
        "en": "pysimlin finds no feedback loop in this model.",
        "zh": "pysimlin 在该模型中没有发现反馈回路。",
    },
    "sensitivity_model_only": {
        "en": "The bundled sensitivity results are for the project's model; your own runs of this model (in `{folder}"
        "`) are listed here.",
        "zh": "随附的敏感性分析结果仅适用于本项目的模型；该模型的自有分析结果（位于 `{folder}`）列于此处。",
    },
    "no_sensitivity_model": {
        "en": "No sensitivity results for this model in `{folder}`.",
        "zh": "`{folder}` 中没有该模型的敏感性分析结果。",
    },
    "rob_intro_model": {
        "en": "Does a policy hold if we are wrong about the world? Each scenario is run in the same {n} futures, "
        "{source}, and scored on the targets of {file}.",
        "zh": "如果我们对外部环境的判断有误，政策是否仍然有效？每个情景都在同样{n}种情形（{source}）中运行，并按 "
        "{file} 中的目标评估。",
    },
    "futures_posterior": {"en": "drawn from the posterior", "zh": "从后验分布抽取"},
    "futures_ranges": {
        "en": "drawn over the full ranges (this model has no posterior)",
        "zh": "按全部取值范围抽取，该模型没有后验分布",
    },
    "rob_no_targets": {
        "en": "This model has no targets file ({file}): there is nothing to test its policies' robustness against.",
        "zh": "该模型没有目标文件（{file}）：无从检验其政策的稳健性。",
    },
    "rob_no_futures": {
        "en": "This model has no uncertain quantities: every future is the same, and robustness is not a question.",
        "zh": "该模型没有不确定参数：所有情形都相同，不存在稳健性问题。",
    },
    "rob_cost_axis_model": {"en": "{label} at the final time, median", "zh": "{label}（期末，中位数）"},
    "rob_cost_col_model": {"en": "Cost at the final time (median)", "zh": "期末成本（中位数）"},
    "rob_chart_note_model": {
        "en": "Each bar or point is a named scenario: the share of the futures in which it meets every target.",
        "zh": "每个条形或点代表一个预设情景：全部目标均达成的情形占比。",
    },
    "rob_no_front_model": {
        "en": "No robust front is bundled for this model (the bundled one is the project's model's).",
        "zh": "该模型没有随附的稳健前沿（随附的前沿属于本项目的模型）。",
    },
    "scenario_skipped": {"en": "Scenario {file} skipped: {problem}", "zh": "已跳过情景 {file}：{problem}"},
    "compare_one": {
        "en": "This model has one scenario, its baseline: scenario files in {folder} add more.",
        "zh": "该模型只有一个情景，即基准；在 {folder} 中添加情景文件即可比较更多情景。",
    },
    "compare_time": {"en": "The table shows time {year}.", "zh": "表格显示时间为{year}时的数值。"},
    "why_causes_time": {
        "en": "Causes of {name} at time {year}, against the baseline",
        "zh": "时间为{year}时“{name}”的直接原因（与基准比较）",
    },
    "sector_main": {"en": "The model", "zh": "模型"},
    "no_parameters": {"en": "This model has no constants to set.", "zh": "该模型没有可设置的常数。"},
}


# The equation groups of the .mdl (sectors), in Chinese; English is the group name itself.
SECTORS_ZH = {
    "Policy": "政策时点与后续扶持", "Cost": "财政成本", "Relocation": "搬迁安置", "Employment": "就业",
    "Skills": "技能与人力资本", "Mindset": "思想观念（“等靠要”）", "Community": "社区与社会资本",
    "Entrepreneurship": "创业", "Equity": "资产收益", "Income": "收入与返贫", "Urbanization": "城镇化",
    "Control": "时间设置",
}  # fmt: skip


def sector_name(group: str, lang: str) -> str:
    """A sector's name in ``lang``."""
    return SECTORS_ZH.get(group, group) if lang == "zh" else group


def t(key: str, lang: str, **kwargs) -> str:
    """Text ``key`` in ``lang``, formatted with ``kwargs``; a missing key is a programming error."""
    text = TEXT[key].get(lang) or TEXT[key]["en"]
    return text.format(**kwargs) if kwargs else text
