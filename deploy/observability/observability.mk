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

observability-check: $(PROMETHEUS) install ## promtool check and unit-test the alert rules; the dashboard's queries name real metrics
	$(PROMTOOL) check rules deploy/observability/alerts.yml
	cd deploy/observability && $(PROMTOOL) test rules alerts_test.yml
	$(PY) -m pytest -q tests/test_observability_assets.py $(call junit,observability)
