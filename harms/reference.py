"""The platforms and takedown channels a new installation starts with.

Administrators change them in /admin/ afterwards; loading again (a data
migration, or tests after a flush) adds what is missing and changes nothing
that exists.
"""

PLATFORMS = [
    ("facebook", "Facebook", "Facebook"),
    ("tiktok", "TikTok", "TikTok"),
    ("youtube", "YouTube", "YouTube"),
    ("zalo", "Zalo", "Zalo"),
    ("instagram", "Instagram", "Instagram"),
    ("discord", "Discord", "Discord"),
    ("roblox", "Roblox", "Roblox"),
    ("game", "Trò chơi trực tuyến khác", "Other online game"),
    ("website", "Trang web", "Website"),
    ("other", "Khác", "Other"),
]

PLATFORM_REPORT_HOW_TO = (
    "Dùng chức năng Báo cáo của nền tảng (hoặc kênh đối tác tin cậy nếu tổng đài có), "
    "chọn lý do phù hợp nhất, rồi ghi lại số tiếp nhận nếu nền tảng cấp."
)

# (code, platform code or None, kind, name_vi, name_en, expected response hours, how to)
CHANNELS = [
    *(
        (
            f"{code}-report",
            code,
            "platform",
            f"Báo cáo tới {name_vi}",
            f"Report to {name_en}",
            24,
            PLATFORM_REPORT_HOW_TO,
        )
        for code, name_vi, name_en in PLATFORMS[:7]
    ),
    (
        "online-information-authority",
        None,
        "authority",
        "Cơ quan quản lý thông tin điện tử",
        "Authority that manages online information",
        72,
        "Gửi văn bản đề nghị xử lý kèm đường dẫn; cơ quan yêu cầu nền tảng gỡ trong 24 giờ.",
    ),
    (
        "cyber-police",
        None,
        "authority",
        "Cục An ninh mạng và phòng, chống tội phạm sử dụng công nghệ cao (A05)",
        "Cyber security and high-tech crime police (A05)",
        72,
        "Gửi tin báo kèm bản in phiếu bằng chứng của hồ sơ.",
    ),
]


def platforms_sync(Platform) -> None:
    for position, (code, name_vi, name_en) in enumerate(PLATFORMS):
        Platform.objects.get_or_create(
            code=code, defaults={"name_vi": name_vi, "name_en": name_en, "position": position}
        )


def channels_sync(TakedownChannel, Platform) -> None:
    for position, (code, platform, kind, name_vi, name_en, hours, how_to) in enumerate(CHANNELS):
        TakedownChannel.objects.get_or_create(
            code=code,
            defaults={
                "platform": Platform.objects.filter(code=platform).first() if platform else None,
                "kind": kind,
                "name_vi": name_vi,
                "name_en": name_en,
                "response_hours": hours,
                "how_to": how_to,
                "position": position,
            },
        )
