/**
 * nxtp's web app: the explorer (`#/`, `#/transfer/<id or xcall tx>`, `#/address/<address>`) and the bridge
 * (`#/bridge`), on @nxtp/sdk. No framework: a hash router swaps views, each of which stops its own live updates
 * when it goes.
 */

import "./style.css";
import type { Hex } from "viem";
import { type Deployment, isDevnet, loadDeployment } from "./config.js";
import { h, replace } from "./dom.js";
import { addressView, explorerHome, transferView, type View } from "./explorer.js";
import { errorWords } from "./format.js";

const root = document.getElementById("view") as HTMLElement;
let current: View | undefined;

/** Each navigation's number: a view that finished loading after the user moved on is dropped. */
let navigation = 0;

async function route(deployment: Deployment): Promise<void> {
  const serial = ++navigation;
  current?.dispose();
  current = undefined;
  const [, page = "", argument = ""] = location.hash.split("/");
  let next: View;
  if (page === "transfer" && argument) next = transferView(deployment, argument as Hex);
  else if (page === "address" && argument) next = addressView(deployment, argument);
  else if (page === "bridge") {
    // The bridge (wallets, signing) loads on first use: the explorer's first load stays small.
    const { bridgeView } = await import("./bridge.js");
    next = bridgeView(deployment);
  } else next = explorerHome(deployment);
  if (serial !== navigation) {
    next.dispose();
    return;
  }
  current = next;
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
  window.addEventListener("hashchange", () => void route(deployment));
  await route(deployment);
}

void start();
