output "alert_topic_urn" {
  description = "The SMN topic the functions publish to."
  value       = local.topic_urn
}

output "function_urns" {
  description = "URN of each function."
  value       = { for fn, f in huaweicloud_fgs_function.function : fn => f.urn }
}

output "state_store_address" {
  description = "host:port of the DCS instance, when created: give it to the alert-memory stage through extra_environment."
  value       = var.dcs == null ? null : "${huaweicloud_dcs_instance.state[0].ip}:${huaweicloud_dcs_instance.state[0].port}"
}
