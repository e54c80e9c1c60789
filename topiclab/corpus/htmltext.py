"""HTML and Markdown pages reduced to plain article text (one block per line)."""

from __future__ import annotations

import re
import warnings

from bs4 import BeautifulSoup, MarkupResemblesLocatorWarning

from topiclab.corpus.dates import find_date

_DROP = ["script", "style", "noscript", "iframe", "nav", "header", "footer", "aside", "form"]
_DROP += ["button", "select", "input", "textarea", "svg", "figure", "figcaption", "template"]
_BLOCKS = ["p", "div", "br", "li", "h1", "h2", "h3", "h4", "h5", "h6", "tr", "blockquote"]
_CONTAINER_HINT = re.compile(r"(?i)article|content|detail|body|main|post|entry|news|story")


def looks_like_html(text: str) -> bool:
    """True when a text file is really an HTML page."""
    head = text[:2048].lstrip().lower()
    return head.startswith(("<!doctype html", "<html")) or bool(
        re.search(r"<(?:body|p|div)[\s>]", head) and re.search(r"</(?:p|div|body)>", text[:50_000])
    )


def html_to_text(markup: str) -> tuple[str, str, str]:
    """Return ``(text, title, iso_date)`` of an HTML page.

    Navigation, header, footer, asides, forms, scripts and figures (with their captions)
    are dropped; the article container is the ``<article>`` element or else the block
    whose id/class says content or article and holds the most paragraph text; the title
    is the ``<h1>`` (or ``og:title``, or ``<title>``); the date comes from
    ``article:published_time`` or a ``<time datetime>`` element.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MarkupResemblesLocatorWarning)
        soup = BeautifulSoup(markup, "lxml")
    title = ""
    date = ""
    meta_date = soup.find("meta", attrs={"property": "article:published_time"}) or soup.find(
        "meta", attrs={"itemprop": "datePublished"}
    )
    if meta_date and meta_date.get("content"):
        date = _iso(meta_date["content"])
    time_tag = soup.find("time")
    if not date and time_tag is not None:
        date = _iso(time_tag.get("datetime") or time_tag.get_text(" "))
    h1 = soup.find("h1")
    if h1 is not None and h1.get_text(strip=True):
        title = " ".join(h1.get_text(" ").split())
        h1.decompose()
    else:
        og = soup.find("meta", attrs={"property": "og:title"})
        if og and og.get("content"):
            title = " ".join(og["content"].split())
        elif soup.title and soup.title.string:
            title = " ".join(soup.title.string.split())
    for tag in soup.find_all(_DROP):
        tag.decompose()
    container = soup.find("article")
    if container is None:
        best, best_len = None, 0
        for tag in soup.find_all(["div", "section", "main"]):
            hint = " ".join([tag.get("id") or "", *(tag.get("class") or [])])
            if not _CONTAINER_HINT.search(hint):
                continue
            length = sum(len(p.get_text()) for p in tag.find_all("p"))
            if length > best_len:
                best, best_len = tag, length
        container = best or soup.body or soup
    for br in container.find_all("br"):
        br.replace_with("\n")
    for block in container.find_all(_BLOCKS):
        block.insert_before("\n\n")
        block.insert_after("\n\n")
    text = container.get_text()
    lines = [" ".join(line.split()) for line in text.splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip(), title, date


def _iso(value: str) -> str:
    match = re.match(r"\s*(\d{4})-(\d{2})-(\d{2})", value)
    if match:
        return "-".join(match.groups())
    return find_date(value)[0]


_MD_IMAGE = re.compile(r"!\[[^\]]*\]\([^)]*\)")
_MD_LINK = re.compile(r"\[([^\]]*)\]\([^)]*\)")
_MD_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+(.*?)\s*#*\s*$")
_MD_EMPHASIS = re.compile(r"(\*\*|__|\*|_)(?=\S)(.+?)(?<=\S)\1")


def markdown_to_text(text: str) -> tuple[str, str]:
    """Return ``(text, title)`` of a Markdown article; the first heading is the title."""
    title = ""
    out = []
    for line in text.splitlines():
        line = _MD_IMAGE.sub("", line)
        line = _MD_LINK.sub(r"\1", line)
        heading = _MD_HEADING.match(line)
        if heading:
            line = heading.group(1)
            if not title:
                title = _MD_EMPHASIS.sub(r"\2", line)
                continue
        line = re.sub(r"^\s*(?:[-*+]|\d+\.)\s+", "", line)
        line = re.sub(r"^\s*>\s?", "", line)
        out.append(_MD_EMPHASIS.sub(r"\2", line))
    return "\n".join(out), title
