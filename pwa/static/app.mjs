// Enhance the server-rendered pages with NHS.UK frontend's components (menus, error summary focus).
import { initAll } from "./vendor/nhsuk/nhsuk-frontend.min.js";

initAll();
