// Enhance the server-rendered pages: NHS.UK frontend's components, and the offline app shell.
import { initAll } from "./vendor/nhsuk/nhsuk-frontend.min.js";

initAll();

if ("serviceWorker" in navigator) {
  navigator.serviceWorker.register("/service-worker.js", { scope: "/" }).catch((error) => {
    console.warn("The app will not open offline:", error);
  });
}
