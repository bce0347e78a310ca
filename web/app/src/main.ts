/**
 * nxtp's web app: the explorer (`#/`, `#/transfer/<id or xcall tx>`, `#/address/<address>`) and the bridge
 * (`#/bridge`), on @nxtp/sdk. No framework: a hash router swaps views, each of which stops its own live updates
 * when it goes.
 */

import "./style.css";
import type { Hex } from "viem";
import { bridgeView } from "./bridge.js";
import { type Deployment, isDevnet, loadDeployment } from "./config.js";
import { h, replace } from "./dom.js";
import { addressView, explorerHome, transferView, type View } from "./explorer.js";
import { errorWords } from "./format.js";

const root = document.getElementById("view") as HTMLElement;
let current: View | undefined;

function route(deployment: Deployment): void {
  current?.dispose();
  const [, page = "", argument = ""] = location.hash.split("/");
  if (page === "transfer" && argument) current = transferView(deployment, argument as Hex);
  else if (page === "address" && argument) current = addressView(deployment, argument);
  else if (page === "bridge") current = bridgeView(deployment);
  else current = explorerHome(deployment);
  for (const link of document.querySelectorAll<HTMLAnchorElement>("nav a")) {
    link.classList.toggle("active", link.dataset.nav === (page === "bridge" ? "bridge" : "explorer"));
  }
  replace(root, current.element);
}

async function start(): Promise<void> {
  let deployment: Deployment;
  try {
    deployment = await loadDeployment();
  } catch (error) {
    replace(root, h("p", { class: "error" }, errorWords(error)));
    return;
  }
  const network = document.getElementById("network");
  if (network) {
    network.textContent = `${isDevnet(deployment.manifest) ? "devnet" : "network"}: domains ${deployment.client.domains.join(", ")}`;
  }
  window.addEventListener("hashchange", () => route(deployment));
  route(deployment);
}

void start();
