// `clawbot doctor`: walks the deployment guide's troubleshooting table and
// prints one line per check, OK or what is wrong and how to fix it. Exit
// code 0 only when no check failed (warnings do not count).
#include <iostream>

#include "cli/commands.h"
#include "cli/doctor_checks.h"
#include "service/config/settings_loader.h"

namespace clawbot::cli {

using doctor::CheckLine;

int run_doctor(const ServiceOptions& o) {
    std::cout << "clawbot doctor: one line per check; FAIL lines fail the run, WARN lines are hints" << std::endl;
    doctor::Report report(std::cout);

    report.add(doctor::check_config_file(service::resolve_config_path(o.config), o.config.has_value()));
    const bool config_failed = report.any_failed();
    const Result<service::Settings> settings = service::load_settings(o.flags, service::process_environment(), o.config);
    // Every config-file failure also stops the loader: report the cause once.
    if (!settings && config_failed) {
        report.add(CheckLine::skip("settings", "not loaded, because of the config file"));
    } else {
        report.add(doctor::check_settings(settings));
    }
    if (!settings) {
        report.add(doctor::check_cpu(nullptr));
        report.add(doctor::check_locale());
        report.add(CheckLine::skip("port, model, memory, data dir, access tokens, log file, upstream",
                                   "they need the settings; fix those first"));
        return report.finish();
    }

    const service::Settings& s = *settings;
    report.add(doctor::check_port(s));
    std::optional<doctor::ModelFacts> model;
    report.add(doctor::check_model(s, model));
    report.add(doctor::check_memory(s, model));
    report.add(doctor::check_cpu(&s));
    CheckLine data_dir = doctor::check_data_dir(s);
    const bool data_dir_failed = data_dir.status == doctor::Status::Fail;
    report.add(std::move(data_dir));
    report.add(data_dir_failed ? CheckLine::skip("access tokens", "the store is not usable, see the line above")
                               : doctor::check_access_tokens(s));
    report.add(doctor::check_log_file(s));
    report.add(doctor::check_locale());
    report.add(doctor::check_upstream(s));
    return report.finish();
}

}  // namespace clawbot::cli
