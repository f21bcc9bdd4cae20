// The camera, and what to tell the user when it cannot be had (getUserMedia's errors, in words).

export function cameraProblem(error) {
  const name = error && error.name;
  if (name === 'NotAllowedError' || name === 'SecurityError' || name === 'PermissionDeniedError') {
    return 'Camera permission was refused. Allow this site to use the camera (the camera icon in the address '
      + 'bar, or the browser\'s site settings), then try again.';
  }
  if (name === 'NotFoundError' || name === 'OverconstrainedError' || name === 'DevicesNotFoundError') {
    return 'No camera was found. Connect one, or upload a video file instead.';
  }
  if (name === 'NotReadableError' || name === 'TrackStartError') {
    return 'The camera is in use by another application. Close it, then try again.';
  }
  if (name === 'NoMediaDevices') return 'This browser gives no camera access here (it needs https or localhost).';
  return `The camera could not be started: ${(error && error.message) || error}`;
}

export async function openCamera(constraints) {
  if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
    throw Object.assign(new Error('no mediaDevices'), { name: 'NoMediaDevices' });
  }
  return navigator.mediaDevices.getUserMedia(constraints);
}
