namespace DitoChat.Application.Abstractions;

/// <summary>The message store cannot be reached; nothing was stored. The client may retry.</summary>
public sealed class StoreUnavailableException(string message, Exception? innerException = null)
    : Exception(message, innerException);
