// Cases for web/js/markdown.js, run in a real browser by Tests/Python/test_web_markdown.py.
// Each renders model output, parses the HTML as the page would, and checks what came out.

const ALLOWED_TAGS = new Set(["P", "BR", "H3", "H4", "H5", "H6", "UL", "OL", "LI", "STRONG", "EM", "CODE", "PRE"]);

function parse(html) {
  const template = document.createElement("template");
  template.innerHTML = html;
  return template.content;
}

/** Problems common to every case: a tag the renderer never makes, or any attribute but code's data-lang. */
function structuralProblems(fragment) {
  const problems = [];
  for (const node of fragment.querySelectorAll("*")) {
    if (!ALLOWED_TAGS.has(node.tagName)) problems.push(`unexpected <${node.tagName.toLowerCase()}>`);
    for (const attr of node.attributes) {
      if (!(node.tagName === "CODE" && attr.name === "data-lang")) problems.push(`attribute ${attr.name} on <${node.tagName.toLowerCase()}>`);
    }
  }
  return problems;
}

const text = (fragment) => fragment.textContent;
const all = (fragment, selector) => [...fragment.querySelectorAll(selector)];

const CASES = [
  ["a <script> element in the text stays text", "Here: <script>window.__injected = 1</script> done",
    (f) => [text(f).includes("<script>window.__injected = 1</script>") || "the script tag is not shown as text"]],
  ["an <img onerror> stays text", '<img src=x onerror="window.__injected = 2">',
    (f) => [text(f) === '<img src=x onerror="window.__injected = 2">' || `text is ${JSON.stringify(text(f))}`]],
  ["HTML inside a fenced code block is code, exactly", "Look:\n```html\n<b>bold</b>\n<script>window.__injected = 3</script>\n```\nafter",
    (f) => {
      const codes = all(f, "pre > code");
      return [codes.length === 1 || `${codes.length} code blocks`,
        codes.length === 1 && codes[0].textContent === "<b>bold</b>\n<script>window.__injected = 3</script>" || `code is ${JSON.stringify(codes[0] && codes[0].textContent)}`,
        codes.length === 1 && codes[0].dataset.lang === "html" || "the language is not kept",
        text(f).includes("after") || "the text after the block is lost"];
    }],
  ["inline code with HTML is text", "Use `<div onclick=\"x()\">` here",
    (f) => [all(f, "code").length === 1 && all(f, "code")[0].textContent === '<div onclick="x()">' || "inline code text differs"]],
  ["an unclosed fence (still streaming) is code to the end", "```js\nlet a = 1 < 2 && 3 > 2;",
    (f) => [all(f, "pre > code").length === 1 && all(f, "pre > code")[0].textContent === "let a = 1 < 2 && 3 > 2;" || `got ${JSON.stringify(text(f))}`]],
  ["headings, bold, italics and lists", "# Title\n\n**bold** and *it*\n\n- a\n- b\n\n1. x\n2. y",
    (f) => [all(f, "h3").length === 1 && all(f, "h3")[0].textContent === "Title" || "no h3 Title",
      all(f, "strong").map((n) => n.textContent).join() === "bold" || "bold differs",
      all(f, "em").map((n) => n.textContent).join() === "it" || "italics differ",
      all(f, "ul > li").map((n) => n.textContent).join() === "a,b" || "bullet list differs",
      all(f, "ol > li").map((n) => n.textContent).join() === "x,y" || "numbered list differs"]],
  ["markup inside bold cannot break out", '**"><svg onload="window.__injected = 4">**',
    (f) => [all(f, "strong").length === 1 && all(f, "strong")[0].textContent === '"><svg onload="window.__injected = 4">' || `got ${f.firstChild && f.firstChild.outerHTML}`]],
  ["a fence language cannot add attributes", '```" onmouseover="window.__injected = 5\ncode\n```',
    (f) => [text(f).includes('onmouseover="window.__injected = 5') || "the line is lost"]],
  ["entities are shown as written, not decoded", "AT&T writes &lt;b&gt; and &amp;",
    (f) => [text(f) === "AT&T writes &lt;b&gt; and &amp;" || `text is ${JSON.stringify(text(f))}`]],
  ["no formatting inside inline code", "`**x** <i>y</i>`",
    (f) => [all(f, "strong, i").length === 0 || "formatted inside code", text(f) === "**x** <i>y</i>" || `text is ${JSON.stringify(text(f))}`]],
  ["links are not made, javascript: URLs stay text", "[click](javascript:window.__injected=6)",
    (f) => [all(f, "a").length === 0 || "a link was made", text(f) === "[click](javascript:window.__injected=6)" || "text differs"]],
  ["lines of a paragraph keep their breaks", "one\ntwo",
    (f) => [all(f, "p > br").length === 1 || "no <br> between the lines"]],
];

/** [{name, problems}] for every case; also puts each rendering into the live page to see that nothing runs. */
export async function run(renderMarkdown) {
  const results = [];
  const stage = document.createElement("div");
  document.body.append(stage);
  for (const [name, input, check] of CASES) {
    let problems;
    try {
      const html = renderMarkdown(input);
      const fragment = parse(html);
      problems = [...structuralProblems(fragment), ...check(fragment).filter((r) => r !== true)];
      const live = document.createElement("div");
      live.innerHTML = html;
      stage.append(live);
    } catch (e) {
      problems = [`threw ${e}`];
    }
    results.push({ name, problems });
  }
  // Give event handlers (onerror, onload) a chance to run had any element been made.
  await new Promise((resolve) => setTimeout(resolve, 300));
  results.push({ name: "nothing from the model ran in the live page", problems: window.__injected === undefined ? [] : [`window.__injected = ${window.__injected}`] });
  return results;
}
