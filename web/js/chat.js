// The chat panel: one conversation, answered by one model or by two side by side, streaming.
import { streamChat } from "./api.js";
import { $, el } from "./dom.js";
import { renderMarkdown } from "./markdown.js";
import { showError } from "./notices.js";

/** Each turn: the user's text and one answer per model ("lane"). */
let turns = [];
let running = [];

export function setUpChat() {
  $("#composer").addEventListener("submit", (e) => { e.preventDefault(); send(); });
  $("#prompt").addEventListener("keydown", (e) => {
    if (e.key === "Enter" && !e.shiftKey && !e.isComposing) {
      e.preventDefault();
      $("#composer").requestSubmit();
    }
  });
  $("#stop").addEventListener("click", stop);
  $("#new-conversation").addEventListener("click", () => {
    stop();
    turns = [];
    $("#conversation").replaceChildren();
    $("#prompt").focus();
  });
  $("#compare").addEventListener("change", (e) => { $("#model-b-field").hidden = !e.target.checked; });
}

function stop() {
  for (const controller of running) controller.abort();
}

function number(selector, parse) {
  const value = parse($(selector).value);
  return Number.isFinite(value) ? value : undefined;
}

/** The messages lane `lane` has seen: its own earlier answers (or the first lane's, if it joined later). */
function messagesFor(lane, text) {
  const messages = [];
  const system = $("#system-prompt").value.trim();
  if (system) messages.push({ role: "system", content: system });
  for (const turn of turns) {
    messages.push({ role: "user", content: turn.user });
    const answer = turn.answers[lane] || turn.answers[0];
    if (answer && answer.text) messages.push({ role: "assistant", content: answer.text });
  }
  messages.push({ role: "user", content: text });
  return messages;
}

async function send() {
  const text = $("#prompt").value.trim();
  if (!text || running.length) return;
  const models = [$("#model-a").value];
  if ($("#compare").checked) models.push($("#model-b").value);
  if (models.some((m) => !m)) {
    showError("Sending the message", new Error("no model is selected (the model list has not loaded)"));
    return;
  }
  const requests = models.map((model, lane) => ({
    model,
    messages: messagesFor(lane, text),
    temperature: number("#temperature", parseFloat),
    max_tokens: number("#max-tokens", (v) => parseInt(v, 10)),
  }));
  const turn = { user: text, answers: models.map((model) => ({ model, text: "" })) };
  turns.push(turn);
  const views = turn.answers.map(answerView);
  $("#conversation").append(el("div", { class: "turn" },
    el("div", { class: "message user" }, text),
    el("div", { class: "answers" }, views.map((v) => v.root))));
  $("#prompt").value = "";
  running = requests.map(() => new AbortController());
  setBusy(true);
  await Promise.all(requests.map((request, lane) => stream(request, turn.answers[lane], views[lane], running[lane].signal)));
  running = [];
  setBusy(false);
}

async function stream(request, answer, view, signal) {
  try {
    await streamChat(request, (chunk) => {
      if (chunk.model) view.label.textContent = chunk.model; // the exact NAME@VERSION that answered
      const delta = chunk.choices && chunk.choices[0] && chunk.choices[0].delta;
      if (delta && delta.content) {
        answer.text += delta.content;
        view.update();
      }
    }, signal);
    view.finish("done");
  } catch (e) {
    if (e.name === "AbortError") {
      view.finish("stopped");
      view.note("Stopped.");
    } else {
      view.finish("failed");
      view.note(`Error: ${e.message}`);
      showError(`Chat with ${request.model}`, e);
    }
  }
}

function answerView(answer) {
  const label = el("span", { class: "model-label" }, answer.model);
  const body = el("div", { class: "body" });
  // aria-busy: screen readers wait for the finished answer instead of reading every token.
  const root = el("div", { class: "message answer streaming", "data-state": "streaming", "aria-busy": "true" }, label, body);
  let pending = null;
  const render = () => { pending = null; body.innerHTML = renderMarkdown(answer.text); };
  return {
    root, label,
    update() { pending = pending || requestAnimationFrame(render); },
    finish(state) {
      if (pending) cancelAnimationFrame(pending);
      render();
      root.classList.remove("streaming");
      if (state === "failed") root.classList.add("failed");
      root.dataset.state = state;
      root.removeAttribute("aria-busy");
    },
    note(text) { root.append(el("p", { class: root.dataset.state === "failed" ? "error-text" : "hint" }, text)); },
  };
}

function setBusy(busy) {
  $("#send").disabled = busy;
  $("#stop").disabled = !busy;
}
