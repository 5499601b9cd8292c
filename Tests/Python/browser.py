"""Headless Chromium (Debian's chromium + chromium-driver) through selenium, for the web console's tests.

A module, not a script: Tests/Python/test_web_console.py and test_web_markdown.py import it.
"""
import json
import shutil
import tempfile
from pathlib import Path

try:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
except ImportError:
    raise SystemExit("browser: the `selenium` package is missing: run scripts/install-deps.sh")

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"


class Browser:
    """One headless Chromium window of `width` x `height` CSS pixels, logging console messages and
    network events so that problems() can list every error and failed request since the last call."""

    def __init__(self, width=1280, height=900):
        for path in (CHROMIUM, CHROMEDRIVER):
            if not Path(path).exists():
                raise SystemExit(f"browser: {path} is missing: run scripts/install-deps.sh")
        self.urls = {}  # request id -> URL, to name failed requests
        self.profile = tempfile.mkdtemp(prefix="lorekeeper-chromium-")
        options = webdriver.ChromeOptions()
        options.binary_location = CHROMIUM
        for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                    f"--user-data-dir={self.profile}", f"--window-size={width},{height}",
                    "--no-first-run", "--disable-extensions", "--disable-background-networking"):
            options.add_argument(arg)
        options.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
        self.driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
        self.driver.set_script_timeout(60)
        self.resize(width, height)
        # Chromium's own start-up page makes requests that fail offline: not the page's, so dropped.
        self.driver.get("about:blank")
        self.problems()

    def resize(self, width, height):
        """The viewport (not the window) to width x height, as a phone or a desktop shows the page."""
        self.driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                                    {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": width < 600})

    def color_scheme(self, scheme):
        """Emulates prefers-color-scheme: "light" or "dark"."""
        self.driver.execute_cdp_cmd("Emulation.setEmulatedMedia",
                                    {"features": [{"name": "prefers-color-scheme", "value": scheme}]})

    def screenshot(self, path, full_page=True):
        """A PNG of the whole page (full_page) or of the viewport."""
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        if full_page:
            import base64
            shot = self.driver.execute_cdp_cmd("Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True})
            Path(path).write_bytes(base64.b64decode(shot["data"]))
        else:
            self.driver.save_screenshot(str(path))

    def problems(self, allow=()):
        """Console errors and warnings, and requests that failed or answered >= 400, since the last call.
        `allow`: substrings of messages or URLs that are expected (the caller says why)."""
        found = []
        for entry in self.driver.get_log("browser"):
            if entry["level"] in ("SEVERE", "WARNING"):
                found.append(f"console {entry['level']}: {entry['message']}")
        for entry in self.driver.get_log("performance"):
            message = json.loads(entry["message"])["message"]
            params = message.get("params", {})
            if message["method"] == "Network.requestWillBeSent":
                self.urls[params["requestId"]] = params["request"]["url"]
            elif message["method"] == "Network.responseReceived":
                response = params["response"]
                if response["status"] >= 400:
                    found.append(f"HTTP {response['status']} for {response['url']}")
            elif message["method"] == "Network.loadingFailed" and not params.get("canceled"):
                found.append(f"request failed: {params.get('errorText')} for {self.urls.get(params['requestId'], '?')}")
        return [p for p in found if not any(a in p for a in allow)]

    def quit(self):
        try:
            self.driver.quit()
        finally:
            shutil.rmtree(self.profile, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.quit()
