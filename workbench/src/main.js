// The workbench: Vue 3, Element Plus (Chinese first), vue-i18n, the router.
import { createApp } from "vue";
import ElementPlus from "element-plus";
import "element-plus/dist/index.css";
import App from "./App.vue";
import { i18n } from "./i18n/index.js";
import { router } from "./router.js";

const app = createApp(App);
app.use(i18n);
app.use(ElementPlus);
app.use(router);
document.documentElement.lang = i18n.global.locale.value;
router.isReady().then(() => {
  app.mount("#app");
  document.body.dataset.ready = "1";
});
