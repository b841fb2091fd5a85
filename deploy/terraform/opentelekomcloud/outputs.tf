output "alert_topic_urn" {
  description = "The SMN topic the functions publish to."
  value       = local.topic_urn
}

output "function_urns" {
  description = "URN of each function."
  value       = { for fn, f in opentelekomcloud_fgs_function_v2.function : fn => f.urn }
}

output "state_store_address" {
  description = "host:port of the DCS instance, when created: give it to the alert-memory stage through extra_environment."
  value       = var.dcs == null ? null : "${opentelekomcloud_dcs_instance_v2.state[0].domain_name}:${opentelekomcloud_dcs_instance_v2.state[0].port}"
}
