output "alert_topic_urn" {
  description = "The SMN topic the functions publish to."
  value       = local.topic_urn
}

output "function_urns" {
  description = "URN of each function."
  value       = { for fn, f in flexibleengine_fgs_function.function : fn => f.urn }
}

output "state_store_address" {
  description = "host:port of the DCS instance, when created: give it to the alert-memory stage through extra_environment."
  value       = var.dcs == null ? null : "${flexibleengine_dcs_instance_v1.state[0].ip}:${flexibleengine_dcs_instance_v1.state[0].port}"
}

output "cts_events_topic_urn" {
  description = "Point the CTS key event notification (console: CTS > Key Event Notifications) at this topic."
  value       = length(flexibleengine_smn_topic_v2.cts_events) > 0 ? flexibleengine_smn_topic_v2.cts_events[0].topic_urn : null
}
