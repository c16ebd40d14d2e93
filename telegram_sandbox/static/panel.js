// The live panel: send rate, 429s, violations, faults armed, and switches to disturb sending.

import { $, call, pollNow, state, status } from "./sandbox.js";

// What a switch arms on sendMessage: often enough to watch, rare enough to let mail through.
const FAULTS = {
  error: { probability: 0.25 },
  delay: { probability: 0.25, seconds: 2 },
  drop: { probability: 0.1 },
};

/** Show a poll's panel figures and set the switches from the rules in force. */
export function renderPanel(panel) {
  $("stat-rate").textContent = panel.per_second;
  $("stat-sent").textContent = panel.sent;
  $("stat-429").textContent = panel.too_many_requests;
  $("stat-violations").textContent = panel.violations;
  $("stat-faults").textContent = panel.faults.length;
  $("stat-faults").title = `${panel.faults_fired} fired so far`;
  $("stat-limits").textContent = panel.limits;
  state.faults = panel.faults;
  for (const kind of Object.keys(FAULTS)) {
    if (state.busySwitches.has(kind)) continue;
    $(`fault-${kind}`).checked = faultRules(kind).length > 0;
  }
  if (!state.busySwitches.has("strict")) $("strict-limits").checked = panel.limits === "strict";
}

function faultRules(kind) {
  return state.faults.filter((rule) => rule.method === "sendmessage" && rule.kind === kind);
}

async function flip(name, action) {
  state.busySwitches.add(name);
  try {
    await action();
  } catch (error) {
    status(error.message);
  } finally {
    state.busySwitches.delete(name);
    pollNow();
  }
}

for (const kind of Object.keys(FAULTS)) {
  $(`fault-${kind}`).addEventListener("change", (event) => flip(kind, async () => {
    if (event.target.checked) {
      await call("POST", "/sandbox/faults", { method: "sendMessage", kind, token: state.token, ...FAULTS[kind] });
    } else {
      for (const rule of faultRules(kind)) await call("DELETE", `/sandbox/faults/${rule.id}`);
    }
  }));
}
$("strict-limits").addEventListener("change", (event) => flip("strict", () =>
  call("PUT", "/sandbox/ui/strict_limits", { token: state.token, enabled: event.target.checked })));
