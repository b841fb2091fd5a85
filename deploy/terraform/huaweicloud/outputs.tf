output "alert_topic_urn" {
  description = "The SMN topic the functions publish to."
  value       = local.topic_urn
}

output "function_urns" {
  description = "URN of each function."
  value       = { for fn, f in huaweicloud_fgs_function.function : fn => f.urn }
}

output "state_store_address" {
  description = "redis://host:port of the DCS instance, when created: the functions' STATE_STORE unless state_store is set."
  value       = local.dcs_address
}
