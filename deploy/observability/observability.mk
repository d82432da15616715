# Observability targets (included by the root Makefile).
.PHONY: prometheus observability-check

# Debian's prometheus package, unpacked under .tools/ (not installed: no system service is
# started). It gives promtool, and the Prometheus server the end-to-end suite starts.
PROMETHEUS_DIR := $(CURDIR)/.tools/prometheus
PROMETHEUS := $(PROMETHEUS_DIR)/usr/bin/prometheus
PROMTOOL := $(PROMETHEUS_DIR)/usr/bin/promtool

$(PROMETHEUS):
	rm -rf $(PROMETHEUS_DIR).deb && mkdir -p $(PROMETHEUS_DIR).deb
	cd $(PROMETHEUS_DIR).deb && { apt-get download prometheus 2>/dev/null \
	  || { apt-get update -qq && apt-get download prometheus; }; }
	dpkg -x $(PROMETHEUS_DIR).deb/prometheus_*.deb $(PROMETHEUS_DIR)
	rm -rf $(PROMETHEUS_DIR).deb
	$(PROMETHEUS) --version | head -1

prometheus: $(PROMETHEUS) ## Unpack Debian's prometheus (server and promtool) under .tools/

# (That the dashboard and the rules query only metrics the code defines is a test of
# make test-repo: tests/test_observability_assets.py.)
observability-check: $(PROMETHEUS) ## promtool: check the alert rules and run their unit tests
	$(PROMTOOL) check rules deploy/observability/alerts.yml
	cd deploy/observability && $(PROMTOOL) test rules alerts_test.yml
