namespace Netstack.Cli.Host;

/// <summary>A device cannot be opened or configured; the message tells the operator why and what to do.</summary>
internal sealed class DeviceException(string message) : Exception(message);
