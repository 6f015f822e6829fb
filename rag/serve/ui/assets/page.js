// [n] in an answer jumps to source n: the markers are wrapped as they are rendered.
() => {
  const MARKER = /\[(\d+)\]/g;
  const wrap = (root) => {
    const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
    const nodes = [];
    while (walker.nextNode()) {
      const node = walker.currentNode;
      if (MARKER.test(node.nodeValue) && !node.parentElement.closest(".rag-cite, textarea, code")) nodes.push(node);
      MARKER.lastIndex = 0;
    }
    for (const node of nodes) {
      const out = document.createDocumentFragment();
      let last = 0;
      for (const m of node.nodeValue.matchAll(MARKER)) {
        out.append(node.nodeValue.slice(last, m.index));
        const cite = document.createElement("span");
        cite.className = "rag-cite";
        cite.dataset.marker = m[1];
        cite.title = "show source " + m[1];
        cite.textContent = m[0];
        out.append(cite);
        last = m.index + m[0].length;
      }
      out.append(node.nodeValue.slice(last));
      node.replaceWith(out);
    }
  };
  document.addEventListener("click", (event) => {
    const cite = event.target.closest(".rag-cite");
    if (!cite) return;
    const source = document.getElementById("rag-source-" + cite.dataset.marker);
    if (!source) return;
    source.scrollIntoView({ behavior: "smooth", block: "center" });
    source.classList.add("rag-flash");
    setTimeout(() => source.classList.remove("rag-flash"), 1500);
  });
  const watch = () => {
    const chat = document.getElementById("chatbot");
    if (!chat) return setTimeout(watch, 300);
    wrap(chat);
    new MutationObserver(() => wrap(chat)).observe(chat, { childList: true, subtree: true, characterData: true });
  };
  watch();
}
