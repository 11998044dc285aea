output "id" {
  value = azapi_resource.this.id
}
