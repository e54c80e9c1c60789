"""Reduce a saved news page to its article: title, date, body, and credits as metadata.

A page saved as text carries, around the article, the site's chrome: accessibility bars
("A- A A+ | Tăng tương phản"), share, print and rating widgets, search boxes ("Tìm kiếm
theo ngày"), lists of other articles ("Các bài mới đăng"), comment forms, section
banners. Inside it sit photo captions and credits ("Ảnh: Khải Hoàn"), and around it
bylines ("Bài, ảnh: Anh Phong", "HOÀNG MAI") and source credits ("Nguồn: ..."). None of
that is what the journalist wrote about the Party, and a topic model would happily make
a topic of it.

The page is read as three zones. The *body* runs from the first to the last paragraph
that reads as prose (long, or ending a sentence). Lines before it are the *header*
(title, kicker, date line, chrome); lines after it the *trailer* (credits, byline,
chrome). Inside the body, known chrome lines and photo captions are removed; short
lines kept are sub-headings. Everything removed is either metadata (title, date,
author, credit, source tag, captions) or listed in :attr:`Article.removed`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from topiclab.corpus.dates import parse_date_line, split_title_date

# Whole lines of web chrome (matched on lines of at most _CHROME_MAX_WORDS words).
_CHROME = [
    r"A-\s*A\s*A\+.*",
    r"(?:Tăng|Giảm) (?:tương phản|cỡ chữ|kích thước chữ).*",
    r"Cỡ chữ.*",
    r"Tìm kiếm(?: theo ngày| nâng cao)?\s*:?.*",
    r"Copy link|Sao chép (?:liên kết|đường dẫn)|Chia sẻ(?: bài viết| bài| lên)?\s*:?.*",
    r"Share|Tweet|Facebook|Zalo|Twitter|Email|Print",
    r"In bài(?: viết)?|In trang|Bản in|Gửi (?:email|bài viết|cho bạn bè)|Lưu (?:bài|tin)(?: viết)?",
    r"Quay lại|Trở về|Về đầu trang|Đầu trang|Lên đầu trang|Xem thêm|Xem tiếp|Bình chọn",
    r"Tổng số điểm của bài viết là.*",
    r"(?:Click|Nhấn|Bấm)(?: vào đây)? để đánh giá.*",
    r"Đánh giá bài viết.*|Bạn đánh giá.*|Đánh giá:.*",
    r"(?:Các|Những) (?:bài|tin)(?: viết)? (?:mới|đã|khác|liên quan|cùng chuyên mục)(?: đăng)?\s*:?",
    r"(?:Tin|Bài viết|Bài|Tin bài) (?:liên quan|khác|mới|mới nhất|cùng chuyên mục|đọc nhiều|"
    r"xem nhiều|nổi bật)\s*:?",
    r"Bài viết Xem|Xem bài viết",
    r"(?:Viết|Gửi) (?:bình luận|ý kiến|phản hồi).*",
    r"(?:Ý kiến bạn đọc|Bình luận|Ý kiến|Phản hồi)\s*(?:\(\d+\))?\s*:?",
    r"(?:Họ(?: và)? tên|Số điện thoại|Điện thoại|Tiêu đề|Nội dung|E-?mail|Địa chỉ(?: email)?|"
    r"Mã xác nhận|Mã bảo mật|Mã an toàn)\s*(?:\(\*\))?\s*:.*",
    r"Lấy lại mã.*|Gửi|Nhập lại|Hủy|Hủy bỏ|Đóng|Làm lại",
    r"ĐỒNG HÀNH CÙNG DOANH NGHIỆP",
    r"\(?Ảnh minh (?:họa|hoạ)\)?|\(?Ảnh\s*:\s*(?:Internet|minh (?:họa|hoạ)|tư liệu)\)?",
    r"(?:Từ khóa|Từ khoá|Tags?)\s*:.*",
    r"(?:Lượt xem|Số lượt xem|Lượt đọc|Lượt truy cập)\s*:?.*",
    r"Trang chủ(?:\s*[>»/|].*)?",
    r"[\W_]+",
]
_CHROME_RE = re.compile(r"(?i)^(?:" + "|".join(_CHROME) + r")$")
_CHROME_MAX_WORDS = 15
_INLINE_CHROME = re.compile(r"(?i)\s*\b(?:Copy link|Sao chép liên kết)\s*$")

# Credits: "Bài, ảnh: Anh Phong", "Ảnh: Khải Hoàn", "Tác giả: Lê Lan", "Nguồn: ...".
_CREDIT = re.compile(
    r"(?i)^(?P<label>bài(?:\s*(?:,|và|-|\+)\s*ảnh)?|ảnh|tin(?:\s*(?:,|và)\s*ảnh)?|"
    r"tin,\s*bài|video|clip|tác giả|người viết|phóng viên|pv|nhóm pv|biên tập|"
    r"thực hiện|nguồn|theo)\s*:\s*(?P<value>.+)$"
)
_PHOTO_LABELS = ("ảnh",)
_AUTHOR_LABELS = (
    "bài",
    "tác giả",
    "người viết",
    "phóng viên",
    "pv",
    "nhóm pv",
    "thực hiện",
    "tin",
    "tin, bài",
)
_SOURCE_LABELS = ("nguồn", "theo")
# "(Theo Báo Nhân Dân)" or "Theo TTXVN" as a last line.
_THEO = re.compile(r"^\(?Theo\s+(?P<value>[^()]{2,60}?)\)?\.?$")

# A lead opened by a source tag: "TTH - ", "LSO-", "HNP - ", "(ĐCSVN) - ".
# The sentence after the dash starts with a number or a capitalised word, so "HĐND-UBND
# xã ..." (two acronyms joined) is not read as a tag.
_UPPER = "A-ZĐÀÁẢÃẠĂẰẮẲẴẶÂẦẤẨẪẬÈÉẺẼẸÊỀẾỂỄỆÌÍỈĨỊÒÓỎÕỌÔỒỐỔỖỘƠỜỚỞỠỢÙÚỦŨỤƯỪỨỬỮỰỲÝỶỸỴ"
_LEAD_TAG = re.compile(
    rf"^\(?(?P<tag>[{_UPPER}][{_UPPER}0-9]{{1,7}}(?:\.VN)?)\)?\s*[-–—]\s*"
    rf"(?=[0-9]|[{_UPPER}][^\W\d_{_UPPER[3:]}A-Z])"
)
_PAREN_PHOTO = re.compile(r"(?i)[(\[]\s*ảnh\s*:\s*([^)\]]{2,60})[)\]]\s*\.?$")
# A sentence glued to the next one by a missing space: "xã hội.Một góc thị trấn".
_GLUED = re.compile(r"(?<=[a-zà-ỹđ]{2})([.…!?])(?=[A-ZĐÀ-Ỹ])")
_SENTENCE_END = tuple(".!?…")


@dataclass
class Article:
    """An article separated from its page.

    Attributes
    ----------
    title, date : str
        Headline (kicker and headline joined by ": ") and ISO publication date, or "".
    text : str
        The article body, one paragraph per block, blocks separated by a blank line.
    author, credit, source, source_tag : str
        Byline, credit lines (joined by "; "), "Nguồn:"/"Theo" source, lead tag.
    captions : list of str
        Photo captions removed from the body.
    removed : list of str
        Every other line removed as chrome, for inspection.
    """

    title: str = ""
    date: str = ""
    text: str = ""
    author: str = ""
    credit: str = ""
    source: str = ""
    source_tag: str = ""
    captions: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)


def _clean_line(line: str) -> str:
    line = line.replace("\xa0", " ").replace("\u200b", "").replace("\t", " ")
    return " ".join(line.split())


def is_chrome(line: str) -> bool:
    """True when ``line`` is a known piece of web-page chrome."""
    return len(line.split()) <= _CHROME_MAX_WORDS and bool(_CHROME_RE.match(line))


def _is_prose(line: str) -> bool:
    words = len(line.split())
    if _CREDIT.match(line) or is_chrome(line):
        return False
    # A headline may end in ":" (a kicker) or ")" (a time stamp), a sentence does not.
    return words >= 25 or (words >= 12 and line.rstrip('"”’»)').endswith(_SENTENCE_END))


def _is_short(line: str) -> bool:
    return len(line.split()) < 25 and not line.endswith(tuple(".!?…;"))


# First words of short capitalised lines that head a table or a list after an article
# ("Bảng D", "Nhóm A", "Vòng 1/8", "Kết quả", "Lịch thi đấu"), not a byline.
_NOT_NAME_WORDS = frozenset(
    "bảng nhóm vòng lượt trận điểm lịch kết xếp hạng phụ ghi hình biểu video clip tổng "
    "thống số".split()
)


def _looks_like_name(line: str) -> bool:
    """A byline: one to four capitalised words, none a lone letter ("Bảng D" is a group).

    Initials keep their full stop ("T. Hà", "N.H"); a bare capital letter is a group,
    table or list label, as are lines opening with a table word (see _NOT_NAME_WORDS).
    """
    words = line.split()
    if not 1 <= len(words) <= 4 or words[0].lower() in _NOT_NAME_WORDS:
        return False
    return all(
        w[0].isupper() and w.rstrip(".").isalpha() and (len(w) > 1 or w.endswith("."))
        for w in words
    )


def _syllables(text: str) -> set[str]:
    return {w for w in re.findall(r"\w+", text.lower()) if not w.isdigit()}


def _paragraphs(text: str) -> list[str]:
    """Non-empty cleaned lines; a short line continued on a lowercase line is rejoined."""
    out: list[str] = []
    previous_blank = True
    for raw in text.splitlines():
        line = _clean_line(raw)
        if not line:
            previous_blank = True
            continue
        wrapped = (
            out
            and not previous_blank
            and line[0].islower()
            and _is_short(out[-1])
            and len(line.split()) < 25
        )
        if wrapped:
            out[-1] = f"{out[-1]} {line}"
        else:
            out.append(line)
        previous_blank = False
    return out


def _credit(article: Article, line: str, *, trailer: bool = False) -> bool:
    """Record ``line`` as a credit if it is one.

    A bare "Theo ..." line is a source credit only after the article ("Theo TTXVN");
    inside it, "Theo đồng chí Bí thư, ..." is prose.
    """
    match = _CREDIT.match(line)
    theo = _THEO.match(line) if trailer and len(line.split()) <= 10 else None
    if match is None and theo is None:
        return False
    if theo is not None and match is None:
        article.source = article.source or theo.group("value").strip()
        article.credit = "; ".join(filter(None, [article.credit, line]))
        return True
    label = " ".join(match.group("label").lower().split())
    value = _INLINE_CHROME.sub("", match.group("value")).strip()
    if label in _SOURCE_LABELS:
        article.source = article.source or value
    elif label not in _PHOTO_LABELS and label.split(",")[0].strip() in _AUTHOR_LABELS:
        article.author = article.author or value
    elif "ảnh" in label and label != "ảnh":
        article.author = article.author or value
    article.credit = "; ".join(filter(None, [article.credit, f"{match.group('label')}: {value}"]))
    return True


def _is_link_list(lines: list[str]) -> set[int]:
    """Positions of "Headline(24/06/2005)" lines when two or more form a list of links."""
    stamped = {i for i, line in enumerate(lines) if split_title_date(line)[1]}
    return stamped if len(stamped) >= 2 else set()


def _header(article: Article, lines: list[str]) -> None:
    kept: list[str] = []
    links = _is_link_list(lines)
    for position, line in enumerate(lines):
        if position in links:
            article.removed.append(line)
            continue
        iso = parse_date_line(line)
        if iso:
            article.date = article.date or iso
            continue
        if is_chrome(line):
            article.removed.append(line)
            continue
        if _credit(article, line):
            continue
        kept.append(line)
    # "Headline(17/11/2003)" below the first header line links to another article; a
    # stamp on the page's own headline ("Title (10:25 26/03/2020)") comes first.
    links = [line for line in kept[1:] if split_title_date(line)[1]]
    article.removed.extend(links)
    kept = [kept[0], *(line for line in kept[1:] if line not in links)] if kept else []
    titles: list[str] = []
    for line in kept:
        if titles and titles[-1].endswith(":"):
            titles[-1] = f"{titles[-1]} {line}"
        else:
            titles.append(line)
    if titles:
        title, iso = split_title_date(titles[-1])
        article.title = title
        article.date = article.date or iso
        article.removed.extend(titles[:-1])


def _trailer(article: Article, lines: list[str]) -> list[str]:
    """Credits, byline and chrome after the body; returns short closing sentences.

    Short sentences right after the body ("Xin cảm ơn ông.") are the article's end and
    go back to the text. A date line counts only near the body, since further down
    dates belong to lists of other articles.
    """
    closing: list[str] = []
    while len(closing) < len(lines):
        line = lines[len(closing)]
        ends = line.rstrip('"”’»)').endswith(_SENTENCE_END)
        if not ends or is_chrome(line) or _CREDIT.match(line) or parse_date_line(line):
            break
        if _THEO.match(line) or split_title_date(line)[1]:
            break
        closing.append(line)
    rest = lines[len(closing) :]
    links = _is_link_list(rest)
    for position, line in enumerate(rest):
        if position in links:
            article.removed.append(line)
            continue
        if _credit(article, line, trailer=True):
            continue
        iso = parse_date_line(line)
        if iso and position < 3:
            article.date = article.date or iso
            continue
        first = all(_credit(Article(), earlier, trailer=True) for earlier in rest[:position])
        if first and not article.author and not is_chrome(line) and _looks_like_name(line):
            article.author = line
            continue
        article.removed.append(line)
    return closing


def _split_glued_caption(line: str) -> tuple[str, str]:
    """Split "...xã hội.Một góc thị trấn Hát Lót hôm nay." into text and caption."""
    matches = list(_GLUED.finditer(line))
    if not matches:
        return line, ""
    cut = matches[-1].end()
    return line[:cut], line[cut:].strip()


def _body(article: Article, lines: list[str]) -> list[str]:
    kept: list[str] = []
    for index, line in enumerate(lines):
        following = lines[index + 1] if index + 1 < len(lines) else ""
        photo_next = bool(_CREDIT.match(following)) and following.lower().startswith("ảnh")
        if is_chrome(line):
            article.removed.append(line)
            continue
        if _credit(article, line):
            continue
        photo = _PAREN_PHOTO.search(line)
        if photo and len(line.split()) <= 40:
            # "Toàn cảnh hội nghị. (Ảnh: Minh Anh)": a caption carrying its credit
            credit = f"Ảnh: {photo.group(1).strip()}"
            article.credit = "; ".join(filter(None, [article.credit, credit]))
            caption = line[: photo.start()].strip()
            if caption:
                article.captions.append(caption)
            continue
        if index == 0:
            tag = _LEAD_TAG.match(line)
            if tag:
                article.source_tag = tag.group("tag")
                line = line[tag.end() :]
        if _is_prose(line):
            if photo_next:
                line, caption = _split_glued_caption(line)
                if caption:
                    article.captions.append(caption)
            kept.append(_GLUED.sub(r"\1 ", line))
            continue
        if parse_date_line(line):
            article.removed.append(line)
            continue
        quoted = line.startswith(("“", '"', "«", "‘"))
        next_prose = next((later for later in lines[index + 1 :] if _is_prose(later)), "")
        words = _syllables(line)
        overlap = len(words & _syllables(next_prose)) / max(len(words), 1)
        # A photo caption sits above a photo credit, or is a fragment (no full stop) under
        # the lead's picture or sharing few words with the paragraph below; a sub-heading
        # announces that paragraph, and a short sentence is prose.
        sentence = line.rstrip('"”’»)').endswith(_SENTENCE_END)
        # "Trả lời:", "Ông X, Giám đốc ...:" introduce what follows; "MỞ ĐƯỜNG" is a heading
        heading = line.endswith(":") or (line.isupper() and len(line.split()) > 1)
        fragment = not (sentence or heading)
        caption = not quoted and (photo_next or (fragment and (index == 1 or overlap < 0.5)))
        if caption:
            article.captions.append(line)
        else:
            kept.append(line)
    return kept


def clean_article(text: str, title: str = "", date: str = "") -> Article:
    """Separate a saved page into article text and metadata.

    Parameters
    ----------
    text : str
        The decoded page as plain text (HTML already reduced to text).
    title, date : str, optional
        Title and ISO date known from elsewhere (HTML ``<h1>``, ``<time>``); they win
        over what the text's header says.

    Returns
    -------
    Article
    """
    article = Article()
    lines = _paragraphs(text)
    prose = [i for i, line in enumerate(lines) if _is_prose(line)]
    if not prose:
        # No paragraph reads as prose (a brief, a list): the first line is the title and
        # every other line that is not chrome, a credit or a date line is kept as text.
        _header(article, lines[:1])
        kept = []
        for line in lines[1:]:
            if is_chrome(line) or _credit(article, line):
                article.removed.append(line)
            elif parse_date_line(line):
                article.date = article.date or parse_date_line(line)
            else:
                kept.append(line)
        article.text = "\n\n".join(kept)
        return _override(article, title, date)
    start, end = prose[0], prose[-1] + 1
    _header(article, lines[:start])
    closing = _trailer(article, lines[end:])
    body = _body(article, lines[start:end]) + closing
    article.text = "\n\n".join(body)
    return _override(article, title, date)


def _override(article: Article, title: str, date: str) -> Article:
    if title:
        if article.title and article.title != title:
            article.removed.append(article.title)
        article.title = title
    if date:
        article.date = date
    return article
