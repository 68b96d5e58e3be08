// vue-i18n with Chinese first: zh-CN is the default and the fallback; the
// choice of English is kept in localStorage. Element Plus follows (its own
// texts: pagination, date pickers, empty tables).
import { createI18n } from "vue-i18n";
import zhCN from "./zh-CN.js";
import en from "./en.js";

const STORAGE_KEY = "sifang.locale";

function stored() {
  try {
    return localStorage.getItem(STORAGE_KEY);
  } catch {
    return null;
  }
}

export const i18n = createI18n({
  legacy: false,
  locale: stored() === "en" ? "en" : "zh-CN",
  fallbackLocale: "zh-CN",
  messages: { "zh-CN": zhCN, en },
});

export function setLocale(locale) {
  i18n.global.locale.value = locale === "en" ? "en" : "zh-CN";
  document.documentElement.lang = i18n.global.locale.value;
  try {
    localStorage.setItem(STORAGE_KEY, i18n.global.locale.value);
  } catch {
    /* private mode: the choice lasts this page */
  }
}

// A workflow's own messages ({ "zh-CN": {...}, en: {...} }) under its name.
export function addMessages(name, messages) {
  for (const [locale, texts] of Object.entries(messages))
    i18n.global.mergeLocaleMessage(locale, { [name]: texts });
}
