// Errors shown at the top of the page until dismissed, and confirmations in a modal dialog.
import { $, el } from "./dom.js";

/** Shows `error` (an ApiError or any Error) prefixed with what was being done. */
export function showError(doing, error) {
  if (error && error.name === "AbortError") return;
  const status = error && error.status ? ` (HTTP ${error.status}${error.code ? ", " + error.code : ""})` : "";
  const text = `${doing}: ${error && error.message ? error.message : String(error)}${status}`;
  const notice = el("div", { class: "error" },
    el("span", {}, text),
    el("button", { type: "button", "aria-label": "Dismiss error", onclick: () => notice.remove() }, "×"));
  $("#errors").append(notice);
}

export function clearErrors() {
  $("#errors").replaceChildren();
}

/** Resolves true when the user confirms `message` in the dialog (Cancel has the focus first). */
export function confirmAction(message, confirmLabel = "Confirm") {
  const dialog = $("#confirm-dialog");
  $("#confirm-text").textContent = message;
  $("#confirm-ok").textContent = confirmLabel;
  dialog.returnValue = "";
  dialog.showModal();
  return new Promise((resolve) => {
    dialog.addEventListener("close", () => resolve(dialog.returnValue === "ok"), { once: true });
  });
}
