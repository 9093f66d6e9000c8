namespace Preconfig.Handoff.Stores;

/// <summary>
/// A store that cannot be written as configured, so trying again cannot help: a <c>devmem:</c> range that
/// <c>/proc/iomem</c> does not show as reserved, or a kernel that forbids writing <c>/dev/mem</c> (lockdown,
/// STRICT_DEVMEM: EPERM). The daemon reports it once and does not retry it until its configuration changes.
/// </summary>
public sealed class StoreRefusedException(string message, Exception? inner = null) : IOException(message, inner);
