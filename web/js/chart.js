// The loss chart: train loss as a line, validation loss as dots joined by a line, drawn as SVG.
const NS = "http://www.w3.org/2000/svg";
const H = 220, LEFT = 44, RIGHT = 12, TOP = 10, BOTTOM = 28;

function svg(tag, attributes, text) {
  const node = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attributes)) node.setAttribute(k, String(v));
  if (text !== undefined) node.textContent = text;
  return node;
}

/** Replaces `container`'s chart with one of `train` and `valid` ([{step, loss}]) over steps 0…totalSteps. */
export function drawLossChart(container, train, valid, totalSteps) {
  // As wide as its box, so that the labels keep their size on a phone.
  const W = Math.max(280, Math.round(container.clientWidth || 600));
  const points = [...train, ...valid].filter((p) => Number.isFinite(p.loss));
  const lastStep = Math.max(totalSteps || 0, ...points.map((p) => p.step), 1);
  const top = Math.max(...points.map((p) => p.loss), 0) * 1.05 || 1;
  const x = (step) => LEFT + (step / lastStep) * (W - LEFT - RIGHT);
  const y = (loss) => TOP + (1 - loss / top) * (H - TOP - BOTTOM);
  const chart = svg("svg", { viewBox: `0 0 ${W} ${H}`, role: "img", "aria-label": describe(train, valid, lastStep) });
  chart.append(
    svg("line", { class: "axis", x1: LEFT, y1: y(0), x2: W - RIGHT, y2: y(0) }),
    svg("line", { class: "axis", x1: LEFT, y1: TOP, x2: LEFT, y2: y(0) }));
  for (const value of [0, top / 2, top]) {
    chart.append(svg("text", { x: LEFT - 6, y: y(value) + 4, "text-anchor": "end" }, value.toFixed(value < 10 ? 2 : 0)));
  }
  chart.append(
    svg("text", { x: LEFT, y: H - 8, "text-anchor": "start" }, "step 0"),
    svg("text", { x: W - RIGHT, y: H - 8, "text-anchor": "end" }, `step ${lastStep}`));
  const line = (series, cls) => svg("polyline", { class: cls, points: series.map((p) => `${x(p.step).toFixed(1)},${y(p.loss).toFixed(1)}`).join(" ") });
  if (train.length) chart.append(line(train, "train"));
  if (valid.length) {
    chart.append(line(valid, "valid"));
    for (const p of valid) chart.append(svg("circle", { class: "valid", cx: x(p.step), cy: y(p.loss), r: 3 }));
  }
  container.replaceChildren(chart);
}

function describe(train, valid, lastStep) {
  const span = (s) => (s.length ? `${s[0].loss.toFixed(3)} to ${s[s.length - 1].loss.toFixed(3)}` : "none yet");
  return `Loss over ${lastStep} steps: train ${span(train)}; validation ${span(valid)}`;
}
