// The workbench's build: relative asset paths (the gateway serves the page
// at / and its files under /assets/, names hashed for caching), the output
// where the build tree wants it (WORKBENCH_OUT_DIR, set by CMake), and the
// large libraries in chunks of their own so that a change to a view does
// not make every browser fetch Element Plus and ECharts again.
import { defineConfig } from "vite";
import vue from "@vitejs/plugin-vue";

export default defineConfig({
  base: "./",
  plugins: [vue()],
  build: {
    outDir: process.env.WORKBENCH_OUT_DIR || "dist",
    emptyOutDir: true,
    target: "es2020",
    chunkSizeWarningLimit: 1200,
    rollupOptions: {
      output: {
        manualChunks(id) {
          if (id.includes("node_modules/echarts") || id.includes("node_modules/zrender")) return "echarts";
          if (id.includes("node_modules/element-plus") || id.includes("node_modules/@element-plus")) return "element-plus";
          if (id.includes("node_modules/")) return "vendor";
        },
      },
    },
  },
  test: {
    environment: "jsdom",
    include: ["src/**/*.test.js"],
  },
});
