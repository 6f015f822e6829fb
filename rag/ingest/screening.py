"""Find passages written to instruct the model that reads them (OWASP LLM01, indirect injection).

A document is data: text in it that addresses an AI assistant, overrides its rules, fakes a
system message, orders a fixed reply, asks for secrets or tells it which sources to trust is an
attack on whoever retrieves it. `screen` scores every window of two consecutive sentences of a
chunk (and its title and file name, which reach the prompt too) against families of patterns;
a window whose families add up to `FLAG_AT` flags the chunk, and with it every chunk of its
document (a source that tries to instruct the model is not evidence). Flagged chunks are kept in
the index and shown to users, but never given to a generator (`rag.answer.pipeline`).

Matching reads a folded copy of the text: NFKC, zero-width and bidi controls removed, Cyrillic
and Greek look-alike letters mapped to Latin, lower case, so "іgnоre" (Cyrillic і and о) reads
"ignore". A family matched in a sentence that *discusses* attacks ("attackers write phrases such
as ...") counts half, so articles about prompt injection stay answerable.

`SCREENING_VERSION` is recorded in the manifest; when the rules change, the next `rag index`
screens the stored chunks again without re-embedding.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, replace

from rag.types import Chunk

__all__ = [
    "SCREENING_VERSION",
    "FLAG_AT",
    "SAME_DOCUMENT",
    "HIDDEN_INSTRUCTION",
    "Screening",
    "fold",
    "screen",
    "screen_chunk",
    "screen_document",
    "screen_text",
]

SCREENING_VERSION = 1
FLAG_AT = 1.0
# The flag of a chunk whose own text passed, held back with its document: an instruction split
# across chunks ("the request is stated in the closing paragraph") leaves its rest in them.
SAME_DOCUMENT = "instruction:same-document"
HIDDEN_INSTRUCTION = "instruction:hidden-text"

# Cyrillic and Greek letters that render like Latin ones (the confusables that spell English words).
_LOOKALIKES = str.maketrans(
    "аеорсухіјѕԁһӏԛԝвкмнтАВЕКМНОРСТХІЈЅαβεικνορτυχΑΒΕΖΗΙΚΜΝΟΡΤΥΧ",
    "aeopcyxijsdhlqwbkmhtABEKMHOPCTXIJSabeikvoptuxABEZHIKMNOPTYX",
)
_CYRILLIC_GREEK = re.compile(r"[\u0370-\u03ff\u0400-\u04ff]")
_LATIN = re.compile(r"[a-zA-Z]")


def fold(text: str) -> str:
    """The text as the patterns read it: NFKC, format controls out, look-alikes Latin, lower case."""
    text = unicodedata.normalize("NFKC", text)
    text = "".join(ch for ch in text if unicodedata.category(ch) != "Cf")
    return " ".join(text.translate(_LOOKALIKES).lower().split())


def _mixed_script(text: str) -> bool:
    """A word that mixes Latin with Cyrillic or Greek letters (a homoglyph disguise)."""
    return any(_LATIN.search(word) and _CYRILLIC_GREEK.search(word) for word in text.split() if len(word) > 2)


_AI = (
    r"(?:ai|a\.i\.|assistants?|chat ?bots?|llms?|(?:large )?language models?|ai (?:models?|systems?|agents?)|gpts?|"
    r"chatgpt|claude|gemini|copilot|rag systems?|answering systems?|answer engines?|summari[sz]ers?|"
    r"automated (?:summari[sz]ers?|tools?|assistants?|systems?|readers?|agents?)|summari[sz]ing tools?|ai tools?)"
)
_REPLY = r"(?:reply|respond|answer|say|output|print|write|return|state|type)"
_TARGET = (
    r"(?:instructions?|rules?|prompts?|directives?|directions?|guidelines?|guardrails?|constraints?|restrictions?|"
    r"polic(?:y|ies)|context|programming|training|sources?|documents?|passages?|messages?|orders?|safety|safeguards?|"
    r"filters?)"
)

# family -> (weight, patterns). A family counts once per window, however often it matches.
_FAMILIES: dict[str, tuple[float, tuple[str, ...]]] = {
    "override": (
        1.0,
        (
            r"\b(?:ignore|disregard|forget|bypass)\W+(?:(?:all|any|the|your|my|these|those|previous|prior|above|"
            rf"earlier|preceding|original|other|system|existing|former|every)\W+){{1,4}}(?:[a-z]+\W+)?{_TARGET}\b",
            r"\b(?:decode|decrypt|translate|apply rot13|unscramble)\b.{0,40}\b(?:and|then)\W+(?:follow|comply|obey|"
            r"execute|do what)",
            r"\b(?:override|discard|set aside|overwrite)\W+(?:all\W+|any\W+|the\W+)?(?:your|previous|prior|above|"
            rf"earlier|preceding|original|system)\W+(?:\w+\W+)?{_TARGET}\b",
            r"\bno longer (?:bound by|obey|need to follow|have to follow|required to follow|subject to) (?:your |the |"
            r"any |these |its )?(?:rules|instructions|guidelines|restrictions|policies)",
            r"\b(?:new|updated|revised|real|actual|true) (?:system )?instructions\b",
            r"\binstructions (?:have|has) (?:changed|been updated)",
            r"\b(?:system|safety) override\b",
            r"\bend of (?:the )?(?:sources|context|documents?|passages?|retrieved text|system prompt)\b",
            r"(?:忽略|无视|忘记|忘掉|不要理会)(?:\S{0,12})(?:指令|指示|提示|规则|说明|要求)",
            r"\bignor(?:a|e|ez|iere|ieren|uj|ujte)\b(?:\W+\w+){0,4}?\W+(?:instrucciones|instructions|anweisungen|"
            r"indicaciones|istruzioni|instruções|инструкции)",
            r"игнорир\w+",
        ),
    ),
    "fake-role": (
        1.0,
        (
            r"(?:^|[\[\(<#*\n]\s*)(?:system|developer|admin(?:istrator)?)\s*(?:message|notice|note|prompt|"
            r"instruction|update|alert|directive|command|override)?\s*[:\]>]",
            r"(?:^|[\[\(<#*|\n]\s*)(?:assistant|ai)\s*(?:message|notice|note|instruction|directive)?\s*:",
            r"<\|?(?:im_start|im_end|system|user|assistant|endoftext)\|?>",
            r"\[/?inst\]|<</?sys>>|###\s*(?:system|instruction|response)\b",
            r"\b(?:begin|start|end) (?:of )?(?:the )?system (?:prompt|message)\b",
            r"\bmessage from (?:the )?(?:system|developers?|administrator)\b",
            r"\bnew instructions from\b",
        ),
    ),
    "addressed-to-ai": (
        1.0,
        (
            rf"\b(?:note|notice|message|instructions?|memo|reminder|warning) (?:to|for) (?:all |any |the )?(?:\w+ )?{_AI}\b",
            rf"\b(?:dear|hey|hello|attention|calling all),? {_AI}\b",
            r"\b(?:when|while|if|before) (?:you are |you're )?(?:summari[sz]ing|processing|reading|answering from) "
            r"(?:this|the) (?:page|document|article|text|file|site|email)\b",
            r"\bif you (?:are|happen to be|were) an? (?:automated |ai )?(?:ai|assistant|language model|llm|bot|chatbot|"
            r"model|system|summari[sz]er|tool|agent)\b",
            r"\b(?:assistants?|chat ?bots?|llms?|language models?) (?:instructions?|directives?|commands?|notices?)\b",
            rf"\b(?:any|every|all|each) {_AI}(?: (?:models?|systems?|tools?|agents?))?(?:,? or {_AI})? (?:that|which|who) "
            r"(?:reads?|sees?|processes|summari[sz]es|answers?|draws on|uses|quotes)\b",
            r"\binstructions you were given\b",
            r"(?:consigne|instruction|message|note)s? (?:destinée?s? )?(?:à|a|pour) l[’']?(?:assistant|ia|intelligence artificielle)",
            r"\b(?:instrucciones|mensaje|nota|aviso) (?:para|al?) (?:el )?(?:asistente|modelo|ia)\b",
            r"\b(?:hinweis|anweisung|nachricht)(?:en)? (?:an|für) (?:den |die |das )?(?:assistenten|ki|sprachmodell)",
            r"(?:致|给|对)(?:AI|ai|人工智能|助手|模型|大模型)",
            r"\b(?:assistants?|chat ?bots?|llms?|language models?|ai assistants?|ai systems?|ai models? reading this)"
            r",? (?:must|should|shall|are to|is to|need to|have to|please|always|never|do not|don't|may not)\b",
            r"\bto (?:any|the) (?:ai|assistant|llm|language model) (?:reading|processing|summari[sz]ing)\b",
        ),
    ),
    "fixed-reply": (
        1.0,
        (
            rf"\b{_REPLY} (?:only |just |simply |exactly )?(?:with |using )(?:the |this |a )?(?:single |exact |"
            r"following )?(?:word|phrase|text|string|code|message|sentence|token|line)\b",
            r"\b(?:say|reply|respond|answer|write|output) only\s*:",
            r"\b(?:every|each|any|your|the) (?:answer|reply|response)s?\b.{0,60}\bmust (?:begin|start|end|open|close|"
            r"include|contain|mention|cite)\b",
            r"\b(?:close|end|finish|start|begin|open|sign off|conclude) (?:its|your|the|their|each|every) "
            r"(?:answers?|repl(?:y|ies)|responses?|summar(?:y|ies))\b.{0,30}\bwith\b",
            r"\bends? every (?:single )?(?:answer|reply|response)\b",
            r"(?:commence|termine|finis)\w* (?:obligatoirement )?(?:ta|votre|la) réponse",
            r"\b(?:responde|contesta|antworte|réponds|répondez)\b.{0,30}\b(?:solo|solamente|nur|uniquement|seulement)\b",
            r"\b(?:reply|respond|answer|output|print)(?: only| exactly)?\s*:\s*['\"“«]?[a-z0-9-]*[0-9-][a-z0-9-]*",
            r"\bwhoever asks\b",
            r"\b(?:regardless of|no matter) (?:what )?(?:the |any )?(?:question|query|they ask|is asked)",
            r"\b(?:start|begin|end|prefix|preface|open|close) (?:every|each|your|all|any) (?:answers?|repl(?:y|ies)|"
            r"responses?|outputs?)\b",
            r"\bappend\b.{0,60}\bto (?:your|the|every|each|its) (?:reply|answer|response|output)\b",
            r"\brefuse (?:to answer )?(?:every|any|all|each) (?:question|query|request)",
            r"\b(?:whenever|when|if) (?:anyone|someone|somebody|a user|the user|users|you are|you're) "
            r"(?:asks?|asked|questions?|inquires?|wants? to know)\b.{0,80}\b(?:answer|reply|respond|say|write|output)\b",
            r"(?:只|仅)(?:回答|回复|输出)",
        ),
    ),
    "reply-rule": (
        0.5,
        (
            r"\b(?:only|just|simply) (?:reply|respond|answer|output|print)\b",
            r"\band nothing else\b",
            r"\b(?:never|do not|don't|must not) (?:mention|reveal|admit)\b",
            r"\bmust (?:always |never )?(?:reply|respond|answer|cite|mention|refuse|append)\b",
            r"\binstead of (?:the |giving |answering )?(?:figure|answer|facts?|question|real)\b",
        ),
    ),
    "leak": (
        1.0,
        (
            r"\b(?:print|reveal|show|repeat|output|disclose|leak|display|dump|include|append|write out|list|"
            r"tell (?:me|us|the user))\b.{0,50}\b(?:system prompt|developer (?:message|prompt)|your (?:hidden )?"
            r"(?:prompt|instructions|rules|configuration)|(?:initial|hidden|original) (?:instructions|prompt|"
            r"message)|api[ _-]?keys?|environment variables?|secret keys?)\b",
            r"\b[a-z]+_api_key\b",
            r"\bvalue of (?:the )?\S*\s*(?:env|environment)",
        ),
    ),
    "source-control": (
        1.0,
        (
            r"\bcite (?:this|it|me|only this|your source as|(?:this|the following) (?:document|note|page|source) as)\b",
            r"\b(?:add|append|insert|put|place) (?:the )?(?:marker|citation|reference)s? \[?\d",
            r"\b(?:the )?(?:other|remaining|all other|previous) (?:sources|documents|passages|articles|results) "
            r"(?:are|is|were) (?:wrong|false|outdated|unreliable|fake|incorrect|mistaken|lies|untrustworthy)",
            r"\b(?:do not|don't|never) (?:trust|cite|use|believe|rely on|quote) (?:the |any )?(?:other |remaining )?"
            r"(?:sources|documents|passages|articles)\b",
            r"\btreat (?:this|the following) (?:document |note |page )?as (?:the )?(?:only|sole|authoritative|official)",
            r"\bthis (?:document|note|page|source) (?:overrides|supersedes|replaces) (?:all |any )?(?:other|previous)",
            r"\b(?:sources|reports|articles|documents|passages)\b.{0,40}\b(?:are|is) (?:now )?(?:out of date|outdated|"
            r"wrong|incorrect|mistaken|false|obsolete)\b",
            r"^\s*[-*]?\s*\[\d+\]\s+\S+\.(?:txt|md|pdf|html?|docx?)\b",
            r"\b(?:may|can|should|must) be (?:reproduced|quoted|cited) (?:as-is|verbatim|as is)\b",
        ),
    ),
    "retrieval-meta": (
        0.6,
        (
            r"\b(?:the |these |other )?(?:retrieved|provided|given|supplied) (?:articles|passages|documents|sources|"
            r"context|snippets)\b",
            r"\b(?:passages|sources|documents) (?:in|of) (?:the |your |this )?(?:context|prompt|context window)\b",
        ),
    ),
    "relay": (
        0.6,
        (
            r"!\[[^\]]*\]\(https?://[^)]*[?&=]",
            r"\b(?:tell|inform) the users? (?:that |to )?",
            r"\b(?:the )?users? (?:must|should|needs? to) (?:visit|click|go to|confirm|verify|call|send|log ?in)\b",
            r"\brender (?:this|the following) (?:image|chart|link|markdown)\b",
        ),
    ),
    "link": (
        0.6,
        (
            r"\b(?:visit|click|go to|open|follow|navigate to|log ?in at|sign in at|confirm at|verify at)\b"
            r"(?: (?:the|this) link)?\W{0,3}(?:https?://|www\.)",
            r"!\[[^\]]*\]\(https?://",
        ),
    ),
    "language-switch": (
        0.6,
        (
            rf"\b{_REPLY}s?(?: all| your| every| each)?(?: answers?| repl(?:y|ies)| responses?)? (?:only )?in "
            r"(?:chinese|french|german|spanish|russian|japanese|korean|italian|portuguese|arabic|hindi|pig latin|"
            r"mandarin|another language)\b",
            r"\btranslate (?:your|the|every|each) (?:answer|reply|response)",
        ),
    ),
    "persona": (
        0.6,
        (
            r"\byou are now\b",
            r"\byou are no longer\b",
            r"\b(?:stays?|remain|keep) in character\b",
            r"\blet'?s play a (?:little )?game\b",
            r"\bà partir de maintenant\b|\bde ahora en adelante\b|\bab (?:jetzt|sofort)\b|从现在(?:开始|起)",
            r"\bfrom now on\b",
            r"\b(?:you|assistants?) (?:will |should |must |shall )?(?:act|behave) as\b",
            r"\bpretend (?:to be|you are|that you|you have|you're)\b",
            r"\b(?:no|without) (?:safety |content )?(?:filters|guardrails|restrictions)\b",
            r"\brole-?play as\b",
            r"\b(?:developer|dan|god|jailbreak|unrestricted|debug) mode\b",
            r"\bdo anything now\b",
            r"\bwithout (?:any )?(?:restrictions|rules|filters|limitations)\b",
            r"\byour new (?:role|name|task|instructions|persona|purpose)\b",
        ),
    ),
    "second-person": (
        0.3,
        (
            r"\byou (?:must|should|shall|need to|have to|are required to|are to|are instructed to)\b",
            r"\byour (?:answer|reply|response|output|rules|task|instructions)\b",
            r"\b(?:important|attention|urgent|notice)\s*[:!]",
        ),
    ),
}
_COMPILED = {
    family: (weight, tuple(re.compile(p, re.MULTILINE) for p in patterns))
    for family, (weight, patterns) in _FAMILIES.items()
}
# Words of a sentence that talks about attacks rather than making one.
_DISCUSSION = re.compile(
    r"\b(?:attacks?|attackers?|adversar\w*|malicious|injections?|jailbreaks?|hackers?|researchers?|such as|"
    r"for example|e\.g\.|phrases? like|known as|so-called|owasp)\b"
)
# Code is shown, not given; quoted speech and block quotes too when the text frames them as an
# example or a report ("try messages like ...", "the most common test string is ...").
_CODE = re.compile(r"```.*?(?:```|\Z)|`[^`\n]+`", re.S)
_QUOTED = re.compile(r'"[^"\n]{3,}"|“[^”]{3,}”|«[^»]{3,}»|^[ \t]*>.*$', re.M)
_TOPIC = re.compile(r"\bprompt[- ]injections?\b|\bjailbreak(?:s|ing)?\b|\binjection attacks?\b|\bred[- ]team", re.I)
_FRAMING = re.compile(
    r"\b(?:such as|like|e\.g\.|for example|for instance|example|examples|variant|phrases?|strings?|payloads?|"
    r"test|tests|sample|says|said|wrote|reads|called|messages?|sentences?|label|decide|quoted?|typed?)\b",
    re.I,
)
MENTIONED_SHARE = 0.3
REPEAT_FACTOR = 1.7
_NEGATED_LEAK = re.compile(
    r"\b(?:do not|don't|never|must not|should not|not to|cannot|can't|won't|avoid)\b(?:\W+\w+){0,6}?\W+"
    r"(?:reveal|print|show|repeat|output|disclose|leak|display|dump)"
)
_URL = re.compile(r"(?:https?://|www\.)\S+")
_MIXED_SCRIPT_WEIGHT = 0.5


@dataclass(frozen=True)
class Screening:
    """What `screen_text` found: the best window's score, its families, and that window's text."""

    score: float
    families: tuple[str, ...]
    excerpt: str

    @property
    def flagged(self) -> bool:
        return self.score >= FLAG_AT


_CLEAN = Screening(0.0, (), "")


def _families(folded: str) -> dict[str, float]:
    found = {}
    discussing = bool(_DISCUSSION.search(_URL.sub(" ", folded)))
    for family, (weight, patterns) in _COMPILED.items():
        matched = sum(1 for p in patterns if p.search(folded))
        if matched:
            # A second, different pattern of the family is more evidence ("from now on" and "stay in character").
            weight *= 1.0 if matched == 1 else REPEAT_FACTOR
            if family == "leak" and _NEGATED_LEAK.search(folded):
                weight *= 0.5
            found[family] = weight * (0.5 if discussing else 1.0)
    return found


def _blank(pattern: re.Pattern, text: str) -> str:
    return pattern.sub(lambda m: " " * len(m.group()), text)


def _sentence_families(sentence: str, unquoted: str) -> dict[str, float]:
    """Families of one sentence; those found only inside quotes or code count `MENTIONED_SHARE`."""
    said = _families(fold(unquoted)) if unquoted != sentence else None
    found = _families(fold(sentence))
    if said is None:
        return found
    return {family: said.get(family, weight * MENTIONED_SHARE) for family, weight in found.items()}


def screen_text(text: str, spans: list[tuple[int, int]] | None = None, title: str = "") -> Screening:
    """Score `text` by its most instruction-like window of two consecutive sentences.

    Args:
        text: the passage (or a title, a file name).
        spans: its sentences as (start, end) offsets, when the caller has them; otherwise
            lines and sentence punctuation split it.
        title: the document's title; one about prompt injection frames every quote in the text.
    """
    if spans is None:
        spans = [(m.start(), m.end()) for m in re.finditer(r"[^\n]+?(?:[.!?。！？](?=\s)|$)", text, re.MULTILINE)]
        spans = [span for span in spans if text[span[0] : span[1]].strip()]
    if not spans:
        return _CLEAN
    no_code = _blank(_CODE, text)
    no_quotes = _blank(_QUOTED, no_code)
    sentences = [text[start:end] for start, end in spans]
    unquoted = []
    on_the_topic = bool(_TOPIC.search(no_quotes) or _TOPIC.search(title))
    for i, (start, end) in enumerate(spans):
        framed = (
            on_the_topic
            or _FRAMING.search(no_quotes[start:end])
            or (i > 0 and _FRAMING.search(no_quotes[spans[i - 1][0] : spans[i - 1][1]]))
        )
        unquoted.append((no_quotes if framed else no_code)[start:end])
    mixed = [_mixed_script(s) for s in sentences]
    per_sentence = [_sentence_families(s, u) for s, u in zip(sentences, unquoted, strict=True)]
    best = _CLEAN
    for i in range(len(sentences)):
        window = dict(per_sentence[i])
        is_mixed = mixed[i]
        if i + 1 < len(sentences):
            for family, weight in per_sentence[i + 1].items():
                window[family] = max(weight, window.get(family, 0.0))
            is_mixed = is_mixed or mixed[i + 1]
        score = round(sum(window.values()) + (_MIXED_SCRIPT_WEIGHT if is_mixed else 0.0), 2)
        if score > best.score:
            families = tuple(sorted(window)) + (("mixed-script",) if is_mixed else ())
            excerpt = " ".join(sentences[i : i + 2]).strip()
            best = Screening(score, families, excerpt[:300])
    return best


def screen(chunk: Chunk) -> Screening:
    """The chunk's text, title and file name (as words) screened; the highest score wins."""
    name = re.sub(r"[_\-.]+", " ", chunk.source.rsplit("/", 1)[-1])
    candidates = (
        screen_text(chunk.text, list(chunk.spans or ()), chunk.title),
        screen_text(chunk.title),
        screen_text(name),
    )
    return max(candidates, key=lambda s: s.score)


def screen_chunk(chunk: Chunk) -> Chunk:
    """The chunk with `flags` set from `screen` (none when it is not flagged)."""
    result = screen(chunk)
    flags = tuple(f"instruction:{family}" for family in result.families) if result.flagged else ()
    return chunk if flags == chunk.flags else replace(chunk, flags=flags)


def screen_document(chunks: list[Chunk], hidden: str = "") -> list[Chunk]:
    """The chunks of one document screened; when any is flagged, all are (`SAME_DOCUMENT`).

    `hidden` is the text the loader dropped because no reader sees it: a page that hides an
    instruction to an AI is an attack page, so all its chunks are flagged `HIDDEN_INSTRUCTION`
    (kept when stored chunks are screened again, their hidden text long gone).
    """
    screened = [screen_chunk(chunk) for chunk in chunks]
    hides = (hidden and screen_text(hidden).flagged) or any(HIDDEN_INSTRUCTION in c.flags for c in chunks)
    if hides:
        return [replace(chunk, flags=(HIDDEN_INSTRUCTION, *chunk.flags)) for chunk in screened]
    if not any(chunk.flagged for chunk in screened):
        return screened
    return [chunk if chunk.flagged else replace(chunk, flags=(SAME_DOCUMENT,)) for chunk in screened]
