import { defineConfig } from "vite";

// Relative asset URLs: the app works wherever it is served (the indexer's `web_root` at `/`, a sub-path, a file
// server); `config.json` beside index.html says where the deployment's manifest, indexer and sequencer are.
export default defineConfig({
  base: "./",
  build: { outDir: "dist", emptyOutDir: true, target: "es2022", sourcemap: false },
});
