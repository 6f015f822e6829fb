"""The patterns `rag.ingest.screening` scores: families of phrasings that instruct a model.

Each family has a weight and regular expressions over folded text (`screening.fold`: lower case,
look-alike letters Latin). Weights of 1.0 flag a passage alone; lighter families flag only
together with another one in the same two-sentence window. Measured on the suite and on SQuAD,
SciFact and news text in eval/RESULTS.md: a pattern added here must keep those false flags at zero.
"""

from __future__ import annotations

__all__ = ["FAMILIES"]

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
FAMILIES: dict[str, tuple[float, tuple[str, ...]]] = {
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
            # Discrediting the other sources in advance ("media reports describing X conflate ..."): a
            # planted fact's shield. Corrections of a text's own earlier version are not matched.
            r"\b(?:media|news|press|other|earlier|previous|prior|many|some|several|foreign|online|recent|"
            r"widespread|circulating|published) (?:reports?|accounts?|sources?|articles?|outlets?|coverage|stories|"
            r"claims|descriptions)\b.{0,100}?\b(?:conflate|confuse|misstate|misreport|misrepresent|misread|"
            r"(?:are|were) (?:wrong|incorrect|mistaken|inaccurate|outdated|false|misleading|erroneous))",
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
