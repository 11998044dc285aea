variable "name" {
  type = string
}

variable "location" {
  type = string
}

variable "resource_group_id" {
  type = string
}

variable "replica_count" {
  type    = number
  default = 1
}

variable "private_endpoint_subnet_id" {
  type = string
}

variable "log_analytics_workspace_id" {
  type = string
}
