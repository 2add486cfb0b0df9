"""The six help pages the handbook starts with, in Vietnamese and English, published.

Written for readers of 12 to 17: short sentences, concrete steps, no blame. Advice
stays general on purpose: menus differ between apps and change often. Every page
ends with 113 and 111 as links to call, from the page template, not from here.
Central supervisors edit them at /help/manage/ afterwards.
"""

from django.db import migrations

PAGES = [
    {
        "slug": "anh-bi-dang",
        "title_vi": "Ai đó đăng ảnh riêng tư của mình",
        "summary_vi": (
            "Ảnh của bạn bị đăng lên hay gửi đi khi bạn không đồng ý? "
            "Đây là những việc nên làm ngay."
        ),
        "body_vi": """\
Bạn không có lỗi. Người đăng ảnh của bạn khi chưa được bạn cho phép mới là người làm sai. Ảnh có thể được gỡ, và có người sẵn sàng giúp bạn.

## Làm gì ngay bây giờ
1. Hít thở sâu. Bạn không phải giải quyết chuyện này một mình.
2. Ghi lại bằng chứng: đường link của bài đăng, tên tài khoản đã đăng, thời gian, và nơi ảnh xuất hiện (trang, nhóm hay ứng dụng nào).
3. Báo cáo bài đăng với mạng xã hội hoặc ứng dụng đó. Hầu hết các nền tảng đều cho báo cáo từng bài đăng và từng tài khoản.
4. Kể với một người lớn bạn tin tưởng: bố mẹ, người thân hoặc thầy cô.
5. Liên hệ tổng đài. Chúng tôi có thể giúp bạn yêu cầu gỡ ảnh, và báo cho cơ quan chức năng khi cần.

## Nếu là ảnh nhạy cảm hoặc khoả thân
- Đừng chụp lại, tải về hay gửi ảnh đó cho ai, kể cả bạn bè, kể cả để làm bằng chứng. Chỉ cần ghi lại đường link, tên tài khoản và thời gian.
- Đăng hay chia sẻ ảnh nhạy cảm của người dưới 18 tuổi là vi phạm pháp luật. Các nền tảng lớn đều cấm và gỡ những ảnh này khi được báo cáo.
- Dù trước đây chính bạn gửi ảnh cho người đó, họ vẫn không có quyền đăng hay chia sẻ nó.

## Những điều nên tránh
- Đừng nhắn tin chửi hay doạ lại người đăng. Việc đó có thể làm mọi chuyện tệ hơn.
- Đừng trả tiền hay làm theo yêu cầu của bất kỳ ai để họ gỡ ảnh.

## Nếu bạn thấy ảnh của bạn bè bị đăng
Đừng chia sẻ, đừng bình luận. Hãy báo cáo bài đăng và nhắn riêng hỏi bạn ấy có cần giúp không.""",
        "title_en": "Someone posted my private photos",
        "summary_en": (
            "Your photo was posted or sent around without your OK? Here is what to do right now."
        ),
        "body_en": """\
It is not your fault. The person who posted your photo without your permission is the one who did wrong. Photos can be taken down, and there are people ready to help you.

## What to do right now
1. Take a deep breath. You do not have to deal with this alone.
2. Keep a record: the link to the post, the name of the account that posted it, the time, and where it appeared (which page, group or app).
3. Report the post to the social network or app. Most platforms let you report each post and each account.
4. Tell an adult you trust: a parent, a relative or a teacher.
5. Contact the hotline. We can help you ask for the photo to be taken down, and tell the authorities when needed.

## If it is a sexual or nude image
- Do not screenshot, download or send that image to anyone, not even friends and not even as evidence. Just write down the link, the account name and the time.
- Posting or sharing sexual images of anyone under 18 is against the law. The big platforms ban these images and remove them when they are reported.
- Even if you sent the photo to that person yourself, they still have no right to post or share it.

## What to avoid
- Do not send angry or threatening messages to the person who posted it. That can make things worse.
- Do not pay money or do what anyone asks to get the photo taken down.

## If you see a friend's photo posted
Do not share it and do not comment. Report the post, and message your friend privately to ask if they need help.""",
    },
    {
        "slug": "bi-doa-tung-anh",
        "title_vi": "Bị doạ tung ảnh để đòi tiền hoặc đòi thêm ảnh",
        "summary_vi": (
            "Ai đó doạ gửi ảnh hay video của bạn cho người khác nếu bạn không trả tiền "
            "hoặc gửi thêm ảnh? Đây là tống tiền, và bạn có thể thoát ra."
        ),
        "body_vi": """\
Đây là một tội phạm, gọi là tống tiền tình dục. Kẻ doạ bạn có thể là người lạ giả làm bạn cùng tuổi, hoặc là người bạn từng quen. Chúng làm vậy với rất nhiều người. Bạn không có lỗi, và bạn không gặp rắc rối vì đã kể ra.

## Làm ngay
1. Đừng trả tiền, đừng gửi thêm ảnh. Trả tiền thường không làm chúng dừng lại: chúng sẽ đòi thêm.
2. Ngừng trả lời. Bạn không cần giải thích hay van xin.
3. Giữ bằng chứng: chụp lại tin nhắn đe doạ, tên tài khoản, đường link trang cá nhân, và số tài khoản ngân hàng hay ví mà chúng đòi chuyển tiền vào. Đừng chụp lại hay gửi đi ảnh nhạy cảm.
4. Sau khi đã lưu bằng chứng, hãy chặn và báo cáo tài khoản đó với nền tảng.
5. Kể với một người lớn bạn tin tưởng ngay hôm nay. Bạn không cần kể hết mọi chi tiết.
6. Liên hệ tổng đài. Chúng tôi giúp bạn báo cáo với nền tảng và với công an, và giúp gỡ ảnh nếu ảnh đã bị đăng.

## Những điều cần nhớ
- Hạn chót chúng đặt ra (“trong 10 phút nữa”) là để làm bạn hoảng. Bạn có thời gian để tìm người giúp.
- Nếu bạn đã trả tiền hay đã gửi thêm ảnh: vẫn chưa muộn. Hãy dừng lại từ bây giờ và làm theo các bước trên.
- Dù chúng có gửi ảnh đi, ảnh vẫn có thể được gỡ, và bạn vẫn được giúp đỡ.

Nếu bạn thấy quá sợ hãi hoặc nghĩ đến việc làm hại bản thân, hãy gọi 111 hoặc trò chuyện với tư vấn viên ngay bây giờ. Bạn quan trọng hơn bất kỳ bức ảnh nào.""",
        "title_en": "Threatened with your photos (sextortion)",
        "summary_en": (
            "Someone says they will send your photos or videos to others unless you pay or send "
            "more? This is extortion, and you can get out of it."
        ),
        "body_en": """\
This is a crime called sextortion. The person threatening you may be a stranger pretending to be your age, or someone you used to know. They do this to a lot of people. It is not your fault, and you are not in trouble for telling someone.

## Do this now
1. Do not pay and do not send more photos. Paying usually does not make them stop: they ask for more.
2. Stop replying. You do not need to explain or beg.
3. Keep evidence: screenshot the threatening messages, the account name, the link to their profile, and the bank account or wallet they want money sent to. Do not screenshot or send on any sexual image.
4. Once you have saved the evidence, block and report the account to the platform.
5. Tell an adult you trust today. You do not have to tell them every detail.
6. Contact the hotline. We help you report to the platform and to the police, and help get the images taken down if they were posted.

## Remember
- Their deadlines (“in 10 minutes”) are meant to make you panic. You have time to find help.
- If you already paid or sent more photos: it is not too late. Stop now and follow the steps above.
- Even if they do send the images, they can still be taken down, and you will still get help.

If you feel too scared or you are thinking about hurting yourself, call 111 or chat with a counsellor right now. You matter more than any photo.""",
    },
    {
        "slug": "lua-dao-truc-tuyen",
        "title_vi": "Lừa đảo trên mạng",
        "summary_vi": (
            "Quà miễn phí, việc nhẹ lương cao, bạn bè nhắn mượn tiền, người lạ hỏi mã OTP... "
            "Cách nhận ra và phải làm gì khi đã bị lừa."
        ),
        "body_vi": """\
Kẻ lừa đảo rất giỏi làm người khác tin. Người lớn cũng bị lừa mỗi ngày. Nếu bạn đã bị lừa, đó không phải lỗi của bạn, và báo càng sớm thì càng dễ xử lý.

## Dấu hiệu thường gặp
- Trúng thưởng, được quà hay vật phẩm game miễn phí, nhưng phải nạp tiền, nạp thẻ hoặc bấm vào một đường link lạ trước.
- “Việc nhẹ lương cao”, làm nhiệm vụ online để nhận tiền, nhưng phải nộp tiền trước.
- Tài khoản của bạn bè hay người thân nhắn mượn tiền, nhờ mua thẻ hoặc xin mã. Tài khoản đó có thể đã bị người khác chiếm.
- Người tự nhận là công an hay nhân viên ngân hàng doạ nạt và bắt chuyển tiền gấp. Công an không đòi chuyển tiền qua điện thoại hay tin nhắn.
- Bất kỳ ai hỏi mật khẩu hoặc mã OTP của bạn.
- Giục bạn làm ngay và dặn bạn giấu bố mẹ.

## Tự bảo vệ
- Không bao giờ đưa mật khẩu hay mã OTP cho ai, kể cả người tự nhận là nhân viên hay người quen.
- Khi bạn bè nhắn mượn tiền, hãy gọi điện hoặc hỏi trực tiếp họ trước.
- Không bấm vào đường link lạ, không cài ứng dụng từ đường link người lạ gửi.
- Hỏi bố mẹ hoặc một người lớn trước khi chuyển tiền hay mua bán trên mạng.

## Nếu bạn đã bị lừa
1. Dừng lại. Không chuyển thêm tiền, kể cả khi họ hứa sẽ trả lại.
2. Báo ngay cho bố mẹ hoặc người lớn bạn tin. Nếu đã chuyển tiền qua ngân hàng, người lớn cần gọi ngay cho ngân hàng.
3. Đổi mật khẩu các tài khoản của bạn, nhất là khi bạn đã đưa mã OTP hoặc đăng nhập qua một đường link lạ.
4. Giữ bằng chứng: tin nhắn, tên tài khoản, số tài khoản nhận tiền, biên lai chuyển tiền.
5. Báo cáo tài khoản đó với nền tảng và báo công an. Tổng đài có thể giúp bạn làm việc này.""",
        "title_en": "Online scams",
        "summary_en": (
            "Free gifts, easy money jobs, a friend asking to borrow money, a stranger asking for "
            "your OTP code... How to spot a scam, and what to do if you were scammed."
        ),
        "body_en": """\
Scammers are very good at making people trust them. Adults get scammed every day too. If you were scammed, it is not your fault, and the sooner you tell someone, the easier it is to deal with.

## Common signs
- You won a prize, a gift or free game items, but first you must pay, top up a card or click a strange link.
- An “easy job with high pay”, or online tasks for money, but you must pay something first.
- A friend's or relative's account asks to borrow money, to buy a top-up card or for a code. That account may have been taken over by someone else.
- Someone who says they are the police or from a bank threatens you and tells you to transfer money urgently. The police do not ask for money transfers by phone or message.
- Anyone who asks for your password or your OTP code.
- Pressure to act right now, and to keep it secret from your parents.

## Protect yourself
- Never give your password or OTP code to anyone, even someone who says they are staff or someone you know.
- When a friend messages to borrow money, call them or ask them in person first.
- Do not click strange links, and do not install apps from links strangers send you.
- Ask a parent or another adult before you send money or buy or sell something online.

## If you were scammed
1. Stop. Do not send any more money, even if they promise to pay you back.
2. Tell a parent or an adult you trust straight away. If money was sent through a bank, the adult should call the bank at once.
3. Change the passwords of your accounts, especially if you gave an OTP code or logged in through a strange link.
4. Keep evidence: messages, account names, the account number the money went to, transfer receipts.
5. Report the account to the platform and report it to the police. The hotline can help you do this.""",
    },
    {
        "slug": "bat-nat-tren-mang",
        "title_vi": "Bị bắt nạt trên mạng",
        "summary_vi": (
            "Bị chửi bới, chế ảnh, tung tin đồn, lập nhóm nói xấu hay cô lập? "
            "Bạn không đáng bị như vậy."
        ),
        "body_vi": """\
Bắt nạt trên mạng là khi ai đó cố ý làm bạn tổn thương, thường là nhiều lần: nhắn tin chửi bới, chế ảnh, tung tin đồn, giả mạo tài khoản của bạn, hay lập nhóm để nói xấu và cô lập bạn. Không ai đáng bị như vậy, và đó không phải lỗi của bạn.

## Làm gì
1. Đừng trả lời lúc đang tức giận hay buồn. Kẻ bắt nạt thường muốn bạn phản ứng.
2. Lưu bằng chứng: chụp màn hình tin nhắn, bình luận, bài đăng, có cả tên tài khoản và thời gian.
3. Chặn hoặc ẩn tài khoản đó, và báo cáo với nền tảng.
4. Kể với người bạn tin tưởng: bố mẹ, thầy cô, anh chị hoặc bạn bè. Nếu chuyện xảy ra với bạn cùng trường, thầy cô có thể giúp.
5. Nghỉ ngơi khỏi mạng một lúc nếu bạn thấy mệt. Tắt thông báo cũng được.

## Nếu bạn thấy người khác bị bắt nạt
- Đừng thả cảm xúc, bình luận hay chia sẻ bài bắt nạt.
- Nhắn riêng hỏi thăm bạn ấy. Một câu “mình ở đây” có thể giúp rất nhiều.
- Báo cáo bài đăng và kể với người lớn.

## Khi nào cần giúp ngay
Nếu có người doạ đánh bạn, doạ làm hại bạn hay gia đình bạn, hãy kể ngay với người lớn và gọi 113. Nếu bạn buồn đến mức muốn làm hại bản thân, hãy gọi 111 hoặc trò chuyện với tư vấn viên ngay bây giờ. Bạn xứng đáng được giúp đỡ.""",
        "title_en": "Cyberbullying",
        "summary_en": (
            "Insults, edited photos, rumours, group chats made to mock or leave you out? "
            "You do not deserve this."
        ),
        "body_en": """\
Cyberbullying is when someone hurts you on purpose, often again and again: insulting messages, edited photos, rumours, fake accounts pretending to be you, or groups made to mock you and leave you out. Nobody deserves this, and it is not your fault.

## What to do
1. Do not reply while you are angry or upset. Bullies often want a reaction.
2. Save evidence: screenshot the messages, comments and posts, with the account names and times.
3. Block or mute the account, and report it to the platform.
4. Tell someone you trust: a parent, a teacher, an older brother or sister, or a friend. If it involves people from your school, teachers can help.
5. Take a break from being online if you feel worn out. Turning off notifications is fine too.

## If you see someone else being bullied
- Do not react to, comment on or share the bullying post.
- Message them privately to check on them. Saying “I'm here for you” can help a lot.
- Report the post and tell an adult.

## When to get help right away
If someone threatens to beat you up or to hurt you or your family, tell an adult straight away and call 113. If you feel so sad that you want to hurt yourself, call 111 or chat with a counsellor right now. You deserve help.""",
    },
    {
        "slug": "tin-gia",
        "title_vi": "Tin giả: kiểm tra trước khi chia sẻ",
        "summary_vi": (
            "Tin gây sốc, ảnh lạ, lời kêu gọi chia sẻ gấp... "
            "Năm câu hỏi giúp bạn biết tin có thật không."
        ),
        "body_vi": """\
Tin giả là tin sai được làm cho giống thật, để câu lượt thích, để lừa tiền hay để làm hại ai đó. Ai cũng có thể bị tin giả đánh lừa. Điều quan trọng là dừng lại một chút trước khi chia sẻ.

## Năm câu hỏi trước khi chia sẻ
1. Tin này từ đâu? Xem ai đăng tin. Trang lạ, mới lập, hay có tên gần giống một tờ báo thì cần cẩn thận.
2. Có báo chí hay cơ quan chính thức nào đưa tin giống vậy không?
3. Tin đăng khi nào? Nhiều tin cũ được đăng lại như tin mới.
4. Ảnh hay video có thật không? Chúng có thể là ảnh cũ, ảnh ở nơi khác, hoặc đã bị chỉnh sửa, kể cả bằng AI.
5. Tin làm bạn rất tức giận, sợ hãi hay phấn khích? Đó chính là lúc nên chậm lại.

## Nên làm
- Không chắc thì đừng chia sẻ. Tin sai có thể làm hại người khác, và chia sẻ tin sai có thể bị xử phạt theo pháp luật.
- Đừng chuyển tiếp những tin nhắn kêu gọi “chia sẻ gấp cho mọi người”.
- Nếu lỡ chia sẻ một tin sai, hãy gỡ xuống và nói lại với mọi người. Làm vậy là rất đáng khen.
- Báo cáo bài đăng sai với nền tảng.

## Nếu tin giả nói về bạn
Nếu ai đó tung tin sai về bạn hay người thân, hãy lưu bằng chứng (đường link, ảnh chụp màn hình, tên tài khoản), báo cáo bài đăng, và kể với người lớn hoặc liên hệ tổng đài để được giúp.""",
        "title_en": "Fake news: check before you share",
        "summary_en": (
            "Shocking stories, strange photos, messages saying “share this now”... "
            "Five questions to tell whether it is true."
        ),
        "body_en": """\
Fake news is false information made to look real, to get likes, to cheat people out of money or to hurt someone. Anyone can be fooled by fake news. What matters is to stop for a moment before you share.

## Five questions before you share
1. Where does it come from? Look at who posted it. Be careful with pages that are unknown, new, or have a name close to a real newspaper's.
2. Do newspapers or official bodies report the same thing?
3. When was it posted? Many old stories are posted again as if they were new.
4. Are the photos or videos real? They can be old, from somewhere else, or edited, including with AI.
5. Does it make you very angry, scared or excited? That is exactly the moment to slow down.

## Good things to do
- If you are not sure, do not share. False information can hurt people, and sharing it can be punished by law.
- Do not forward chain messages that say “share this with everyone now”.
- If you shared something false by mistake, take it down and tell people. That is something to be proud of.
- Report false posts to the platform.

## If the fake news is about you
If someone spreads false things about you or your family, save evidence (links, screenshots, account names), report the post, and tell an adult or contact the hotline for help.""",
    },
    {
        "slug": "cai-dat-rieng-tu",
        "title_vi": "Cài đặt quyền riêng tư",
        "summary_vi": (
            "Chọn ai được xem bài đăng của bạn, ai được nhắn tin cho bạn "
            "và ai biết bạn đang ở đâu."
        ),
        "body_vi": """\
Mỗi mạng xã hội và ứng dụng có cách cài đặt khác nhau, và chúng thay đổi thường xuyên. Hãy tìm phần cài đặt quyền riêng tư và bảo mật trong từng ứng dụng, và kiểm tra lại vài tháng một lần.

## Những gì nên kiểm tra
- Ai xem được bài đăng, ảnh và danh sách bạn bè của bạn. Chọn chỉ bạn bè (hoặc chỉ mình bạn) thay vì công khai.
- Ai được nhắn tin, gọi điện hay gắn thẻ bạn.
- Tắt chia sẻ vị trí trong bài đăng, trong ảnh và trên bản đồ bạn bè.
- Ứng dụng nào được dùng máy ảnh, micro, danh bạ và vị trí của bạn. Tắt những gì không cần.

## Bảo vệ tài khoản
- Dùng mật khẩu dài, mỗi tài khoản một mật khẩu khác, và không đưa cho ai, kể cả bạn thân.
- Bật xác minh hai bước (mã gửi về điện thoại hoặc ứng dụng xác thực).
- Đăng xuất khi dùng máy của người khác hoặc máy ở trường.

## Trước khi đăng
- Tránh để lộ tên trường, lớp, địa chỉ nhà, số điện thoại hay lịch đi lại hằng ngày, kể cả qua đồng phục hay biển số nhà trong ảnh.
- Chỉ kết bạn với người bạn biết ngoài đời thật. Người quen trên mạng có thể không phải là người như họ nói.
- Hỏi ý bạn bè trước khi đăng ảnh có họ.

Nếu tài khoản của bạn bị chiếm hoặc bị giả mạo, hãy đổi mật khẩu ngay, báo cho bạn bè để họ cẩn thận, báo cáo với nền tảng, và liên hệ tổng đài nếu cần giúp.""",
        "title_en": "Privacy settings",
        "summary_en": (
            "Choose who can see your posts, who can message you and who knows where you are."
        ),
        "body_en": """\
Every social network and app has different settings, and they change often. Look for the privacy and security settings in each app, and check them again every few months.

## What to check
- Who can see your posts, photos and friends list. Choose friends only (or only you) instead of public.
- Who can message you, call you or tag you.
- Turn off location sharing in posts, in photos and on friend maps.
- Which apps can use your camera, microphone, contacts and location. Turn off what they do not need.

## Protect your accounts
- Use long passwords, a different one for each account, and do not give them to anyone, not even your best friend.
- Turn on two-step verification (a code sent to your phone or an authenticator app).
- Log out when you use someone else's device or a school computer.

## Before you post
- Avoid showing your school, class, home address, phone number or daily routine, including through a uniform or a house number in a photo.
- Only add friends you know in real life. People you meet online may not be who they say they are.
- Ask your friends before posting photos of them.

If your account is taken over or someone makes a fake account of you, change your password at once, warn your friends so they are careful, report it to the platform, and contact the hotline if you need help.""",
    },
]


def seed(apps, schema_editor):
    HelpPage = apps.get_model("handbook", "HelpPage")
    if HelpPage.objects.exists():
        return
    for position, page in enumerate(PAGES, start=1):
        HelpPage.objects.create(position=position * 10, is_published=True, **page)


class Migration(migrations.Migration):
    dependencies = [("handbook", "0001_initial")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
