// The browser app whose bundle `npm run bundle-size` measures: it sends a transfer from the user's injected
// wallet and follows it to completion, using only `xcall` and `waitForTransfer` (and the client).

import { createNxtpClient, type Manifest, waitForTransfer, xcall } from "@nxtp/sdk";
import { createWalletClient, custom, type EIP1193Provider } from "viem";

export async function send(
  manifest: Manifest,
  ethereum: EIP1193Provider,
  to: string,
  amount: bigint,
): Promise<string> {
  const client = createNxtpClient({ manifest });
  const [account] = await ethereum.request({ method: "eth_requestAccounts" });
  const wallet = createWalletClient({ account, chain: client.chain(1000), transport: custom(ethereum) });
  const sent = await xcall(client, {
    origin: 1000,
    destination: 2000,
    asset: "DEMO",
    amount,
    to,
    approve: true,
    wallet,
  });
  const done = await waitForTransfer(client, { transferId: sent.transferId });
  return done.stage;
}
